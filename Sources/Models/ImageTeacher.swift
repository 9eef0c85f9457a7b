import Tensor

/// The MAE image teacher (docs/method.md §2.4): patch embedding + 2-D sin-cos table, a CLS token, timm-style blocks
/// (combined qkv bias). Output: the raw last-block tokens without CLS, **without** the final LayerNorm.
public struct ImageTeacher: ParameterContainer, Sendable {
    public let config: ModelConfig
    public var patchEmbed: PatchEmbed
    /// [D]. Official MAE checkpoints have one; image models trained here with pixel targets do not, and then
    /// the teacher runs on the patch tokens alone, exactly as it was trained.
    public var clsToken: Tensor?
    public let positions: Tensor  // [1 + P, D], row 0 (CLS) all zeros; regenerated, never loaded
    public var stack: BlockStack
    /// Present in MAE checkpoints and loaded, but not applied (the targets are pre-norm features).
    public var finalNorm: LayerNorm

    var geometry: PatchGeometry {
        PatchGeometry(frames: 1, height: config.inputSize, width: config.inputSize, tubelet: 1, patch: config.patchSize)
    }

    /// Loads an MAE checkpoint strictly (keys of docs/method.md §8.2). `head.*` and every `*pos_embed*` key are
    /// skipped, as the original does; a leading `backbone.` is stripped.
    public init(weights r: WeightReader, config: ModelConfig) throws {
        let (d, p) = (config.embedDim, config.patchSize)
        r.renameKeys { $0.hasPrefix("backbone.") ? String($0.dropFirst("backbone.".count)) : $0 }
        r.skip { $0.hasPrefix("head.") || $0.contains("pos_embed") }
        var shapeOnly = SplitMix64(seed: 0)
        self.config = config
        self.clsToken = r.contains("cls_token") ? Tensor.zeros([d]) : nil
        self.positions = PositionTables.sincos2DWithCLS(embedDim: d, gridSide: config.gridSide)
        let geometry = PatchGeometry(frames: 1, height: config.inputSize, width: config.inputSize, tubelet: 1, patch: p)
        self.patchEmbed = PatchEmbed(weight: Tensor.zeros([d, geometry.patchSize]), bias: Tensor.zeros([d]), geometry: geometry, image: true)
        self.stack = BlockStack(
            (0..<config.depth).map { _ in
                BlockFactory.fresh(
                    width: d, heads: config.numHeads, hidden: config.mlpHidden, style: .combined,
                    initWeight: .xavierUniform, using: &shapeOnly)
            })
        self.finalNorm = LayerNorm(dimension: d)
        try r.load(into: &self)
        try r.finish()
    }

    /// Token features of single frames: [B', 3, S, S] -> [B', P, D].
    public func features(frames: Tensor) -> Tensor {
        WeightPacks.scope { framesForward(frames) }
    }

    private func framesForward(_ frames: Tensor) -> Tensor {
        let d = config.embedDim, count = frames.count / (3 * config.inputSize * config.inputSize)
        let tokens = patchEmbed(frames)  // [B', P, D]
        let pTable = Tensor(shape: [positions.shape[0] - 1, d], Array(positions.storage[d...]))
        var x = addPerToken(tokens, pTable)
        if let clsToken {  // + the zero table row 0
            x = concatTokens(Tensor(shape: [count, 1, d], (0..<count).flatMap { _ in clsToken.storage }), x)
        }
        x = stack(x)
        return clsToken == nil ? x : sliceTokens(x, from: 1, count: x.shape[1] - 1)
    }

    /// Features of a clip as the student's targets (docs/method.md §5.1): frames 0, s, 2s, … of each clip
    /// [B, 3, T, S, S] through the teacher, arranged [B, (T/s)·P, D] so row t'·P + l matches student token n.
    public func clipFeatures(_ clips: Tensor, frameStride s: Int) -> Tensor {
        let (b, t) = (clips.shape[0], clips.shape[2])
        let kept = (t + s - 1) / s
        let frames = strideFrames(clips, stride: s)
        let f = features(frames: frames)  // [B·kept, P, D]
        return f.reshaped([b, kept * f.shape[1], f.shape[2]])
    }

    /// Keys of docs/method.md §8.2; `cls_token` is stored as [1, 1, D].
    public mutating func visitParameters(prefix: String, _ visit: (String, inout Parameter) -> Void) {
        if let token = clsToken {
            var p = Parameter(token, trainable: false, checkpointShape: [1, 1, token.count])
            visit(prefix + "cls_token", &p)
            clsToken = p.value
        }
        patchEmbed.visitParameters(prefix: prefix + "patch_embed.", visit)
        stack.visitParameters(prefix: prefix, visit)
        finalNorm.visitParameters(prefix: prefix + "norm.", visit)
    }
}
