import Tensor

/// The MVD student (docs/method.md §2.6): tubelet embedding + 3-D table, encoder blocks on the visible tokens,
/// final LayerNorm, then one decoder branch per teacher (MVD uses two: `img` and `vid`).
public struct Student: ParameterContainer, Sendable {
    public let config: ModelConfig
    public var patchEmbed: PatchEmbed
    public let positions: Tensor  // [N, D], frozen
    public let positionEncoding: PositionEncoding
    public var stack: BlockStack
    public var norm: LayerNorm
    public var branches: [DecoderBranch]

    public struct Cache: Sendable {
        let patch: PatchEmbed.Cache, blocks: [ViTBlock.Cache], norm: LayerNorm.Cache, branches: [DecoderBranch.Cache]
        let mask: [Bool], batch: Int
    }

    public init(
        config: ModelConfig, patchEmbed: PatchEmbed, blocks: [ViTBlock], norm: LayerNorm, branches: [DecoderBranch],
        positionEncoding: PositionEncoding = .sincos3D
    ) {
        self.config = config
        self.patchEmbed = patchEmbed
        self.positionEncoding = positionEncoding
        self.positions = PositionTables.table(positionEncoding, embedDim: config.embedDim, config: config)
        self.stack = BlockStack(blocks)
        self.norm = norm
        self.branches = branches
    }

    public var tokens: Int { positions.shape[0] }

    /// The blocks of `stack`, for reading and editing one block.
    public var blocks: [ViTBlock] {
        get { stack.blocks }
        set { stack.blocks = newValue }
    }

    /// Training forward. clips [B, 3, T, S, S]; mask [B·N], true = masked, the same count per sample.
    /// Returns one prediction per branch, [B, Nm, Dt_k], in ascending masked-token order.
    public func forward(clips: Tensor, mask: [Bool], using rng: inout SplitMix64) -> ([Tensor], Cache) {
        let b = clips.shape[0]
        precondition(mask.count == b * tokens, "mask of \(mask.count) for \(b) clips of \(tokens) tokens")
        let (e, pc, caches, nc) = OpProfile.section("encoder forward") {
            let (embedded, pc) = patchEmbed.forward(clips)
            let visible = OpProfile.op(.tokens) { gatherTokens(addPerToken(embedded, positions), mask: mask, select: false) }
            let (x, caches) = stack.forward(visible, using: &rng)
            let (e, nc) = norm.forward(x)
            return (e, pc, caches, nc)
        }
        var predictions: [Tensor] = [], branchCaches: [DecoderBranch.Cache] = []
        for branch in branches {
            let (p, c) = OpProfile.section("decoders forward") { branch.forward(e, mask: mask, using: &rng) }
            predictions.append(p)
            branchCaches.append(c)
        }
        return (predictions, Cache(patch: pc, blocks: caches, norm: nc, branches: branchCaches, mask: mask, batch: b))
    }

    /// Encoder features of the visible tokens (no decoders): [B, Nv, D], after the final norm unless
    /// `applyFinalNorm` is false (then they are what a teacher exported from this encoder outputs).
    public func encode(clips: Tensor, mask: [Bool], applyFinalNorm: Bool = true) -> Tensor {
        let x = stack(gatherTokens(addPerToken(patchEmbed(clips), positions), mask: mask, select: false))
        return applyFinalNorm ? norm(x) : x
    }

    /// Accumulates every parameter gradient from the gradients of the branch predictions.
    public mutating func backward(_ dPredictions: [Tensor], _ c: Cache) {
        precondition(dPredictions.count == branches.count, "\(dPredictions.count) gradients for \(branches.count) branches")
        var de: Tensor?
        for k in branches.indices {
            let g = OpProfile.section("decoders backward") { branches[k].backward(dPredictions[k], c.branches[k]) }
            if de == nil { de = g } else { OpProfile.section("decoders backward") { de!.add(g) } }
        }
        OpProfile.section("encoder backward") {
            let dx = stack.backward(norm.backward(de!, c.norm), c.blocks)
            let dEmbedded = OpProfile.op(.tokens) { scatterTokens(dx, mask: c.mask, select: false, tokens: tokens) }
            patchEmbed.backward(dEmbedded, c.patch, needInputGrad: false)
        }
    }

    public mutating func visitParameters(prefix: String, _ visit: (String, inout Parameter) -> Void) {
        patchEmbed.visitParameters(prefix: prefix + "patch_embed.", visit)
        stack.visitParameters(prefix: prefix, visit)
        norm.visitParameters(prefix: prefix + "norm.", visit)
        for k in branches.indices { branches[k].visitParameters(prefix: prefix, visit) }
    }
}
