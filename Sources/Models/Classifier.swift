import Tensor

/// The fine-tuning classifier (docs/method.md §2.7): tubelet embedding + 3-D table, blocks, mean pooling over all tokens,
/// `fc_norm`, dropout, `head`. There is no final `norm` and no CLS token.
public struct Classifier: ParameterContainer, Sendable {
    public let config: ModelConfig
    public var patchEmbed: PatchEmbed
    public let positions: Tensor  // [N, D], not in the state dict
    public var stack: BlockStack
    public var fcNorm: LayerNorm
    public var head: Linear
    /// Dropout rate between `fc_norm` and `head` (the original's `fc_dropout`, 0.5 in its ViT-L/H recipes). Training
    /// keeps each pooled feature with probability 1 − rate and scales it by 1 / (1 − rate), so evaluation, which
    /// keeps every feature unscaled, sees the same expected input.
    public var fcDropout: Float = 0

    public struct Cache: Sendable {
        let patch: PatchEmbed.Cache, blocks: [ViTBlock.Cache], norm: LayerNorm.Cache, head: Linear.Cache, tokens: Int
        /// The dropout factors (0 or 1 / (1 − rate)) applied before the head; nil when the rate is 0.
        let dropMask: Tensor?
    }

    public init(
        config: ModelConfig, patchEmbed: PatchEmbed, blocks: [ViTBlock], fcNorm: LayerNorm, head: Linear,
        positionEncoding: PositionEncoding = .sincos3D
    ) {
        self.config = config
        self.patchEmbed = patchEmbed
        self.stack = BlockStack(blocks)
        self.fcNorm = fcNorm
        self.head = head
        self.positions = PositionTables.table(positionEncoding, embedDim: config.embedDim, config: config)
    }

    /// Loads a fine-tuning checkpoint strictly: `patch_embed.*`, `blocks.*`, `fc_norm.*`, `head.*`.
    public init(weights r: WeightReader, config: ModelConfig, classes: Int, dropPath: Float = 0) throws {
        var shapeOnly = SplitMix64(seed: 0)
        self.init(fresh: config, classes: classes, dropPath: dropPath, using: &shapeOnly)
        try r.load(into: &self)
        try r.finish()
    }

    /// The blocks of `stack`, for reading and editing one block.
    public var blocks: [ViTBlock] {
        get { stack.blocks }
        set { stack.blocks = newValue }
    }

    /// Logits of clips [B, 3, T, S, S] -> [B, classes] (inference).
    public func callAsFunction(_ clips: Tensor) -> Tensor { head(fcNorm(pooledFeatures(clips))) }

    /// Mean-pooled encoder features before `fc_norm`: [B, D].
    public func pooledFeatures(_ clips: Tensor) -> Tensor { meanPoolForward(tokenFeatures(clips)) }

    /// Training forward with drop path and `fcDropout` from `rng` (a rate of 0 draws nothing).
    public func forward(_ clips: Tensor, using rng: inout SplitMix64) -> (Tensor, Cache) {
        let (embedded, pc) = patchEmbed.forward(clips)
        let (x, caches) = stack.forward(addPerToken(embedded, positions), using: &rng)
        let (pooled, nc) = fcNorm.forward(meanPoolForward(x))
        var normed = pooled
        var mask: Tensor?
        if fcDropout > 0 {
            let keep = 1 - fcDropout
            var m = Tensor(shape: normed.shape)
            for i in 0..<m.count where rng.nextUniform() < keep { m.storage[i] = 1 / keep }
            for i in 0..<m.count { normed.storage[i] *= m.storage[i] }
            mask = m
        }
        let (logits, hc) = head.forward(normed)
        return (logits, Cache(patch: pc, blocks: caches, norm: nc, head: hc, tokens: x.shape[1], dropMask: mask))
    }

    public mutating func backward(_ dLogits: Tensor, _ c: Cache) {
        var dNormed = head.backward(dLogits, c.head)!
        if let mask = c.dropMask { for i in 0..<mask.count { dNormed.storage[i] *= mask.storage[i] } }
        let dx = stack.backward(meanPoolBackward(fcNorm.backward(dNormed, c.norm), tokens: c.tokens), c.blocks)
        patchEmbed.backward(dx, c.patch, needInputGrad: false)
    }

    public mutating func visitParameters(prefix: String, _ visit: (String, inout Parameter) -> Void) {
        patchEmbed.visitParameters(prefix: prefix + "patch_embed.", visit)
        stack.visitParameters(prefix: prefix, visit)
        fcNorm.visitParameters(prefix: prefix + "fc_norm.", visit)
        head.visitParameters(prefix: prefix + "head.", visit)
    }
}
