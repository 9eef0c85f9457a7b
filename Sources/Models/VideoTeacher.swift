import Tensor

/// The VideoMAE video teacher (docs/method.md §2.5): tubelet embedding + the 1-D interleaved sinusoid table,
/// VideoMAE-style blocks (q/v bias). Output: the raw last-block tokens, without the final LayerNorm.
public struct VideoTeacher: ParameterContainer, Sendable {
    public let config: ModelConfig
    public var patchEmbed: PatchEmbed
    public let positions: Tensor  // [N, D]
    public var stack: BlockStack
    /// Loaded, not applied.
    public var finalNorm: LayerNorm

    /// Loads a VideoMAE pre-training checkpoint strictly (docs/method.md §8.3). Keys sit under `encoder.` (or at the
    /// top level for a bare encoder); the VideoMAE decoder (`decoder.*`, `encoder_to_decoder.*`, `mask_token`),
    /// `head.*` and `*pos_embed*` keys are skipped.
    public init(weights r: WeightReader, config: ModelConfig) throws {
        r.renameKeys { $0.hasPrefix("backbone.") ? String($0.dropFirst("backbone.".count)) : $0 }
        r.skip { k in
            k.hasPrefix("head.") || k.contains("pos_embed") || k.hasPrefix("decoder.") || k.hasPrefix("encoder_to_decoder.")
                || k == "mask_token"
        }
        var shapeOnly = SplitMix64(seed: 0)
        self.config = config
        let (patch, blocks) = BlockFactory.freshVideoEncoder(config, initWeight: .xavierUniform, using: &shapeOnly)
        (self.patchEmbed, self.stack) = (patch, BlockStack(blocks))
        self.positions = PositionTables.sinusoid1D(positions: patchEmbed.geometry.tokens, embedDim: config.embedDim)
        self.finalNorm = LayerNorm(dimension: config.embedDim)
        try r.load(into: &self, prefix: r.keys.contains(where: { $0.hasPrefix("encoder.") }) ? "encoder." : "")
        try r.finish()
    }

    /// Token features of clips: [B, 3, T, S, S] -> [B, N, D].
    public func features(clips: Tensor) -> Tensor {
        WeightPacks.scope { stack(addPerToken(patchEmbed(clips), positions)) }
    }

    public mutating func visitParameters(prefix: String, _ visit: (String, inout Parameter) -> Void) {
        patchEmbed.visitParameters(prefix: prefix + "patch_embed.", visit)
        stack.visitParameters(prefix: prefix, visit)
        finalNorm.visitParameters(prefix: prefix + "norm.", visit)
    }
}
