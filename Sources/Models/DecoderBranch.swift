import Tensor

/// One feature-decoder branch of the student (docs/method.md §2.6): down-projection, a learned mask token,
/// the decoder's 3-D position table, blocks, LayerNorm and a head to the teacher's width.
/// Checkpoint keys: `mask_token_<name>`, `down_<name>.*`, `decoder_<name>.{blocks.i.*, norm.*, head.*}`, `pos_embed_<name>`.
public struct DecoderBranch: ParameterContainer, Sendable {
    public let name: String
    public var maskToken: Parameter  // [1, 1, Dd]
    public var down: Linear  // [Dd, D] with bias
    public let positions: Tensor  // [N, Dd], frozen
    public var stack: BlockStack
    public var norm: LayerNorm
    public var head: Linear  // [Dt, Dd]

    public var width: Int { down.outFeatures }
    public var targetWidth: Int { head.outFeatures }

    /// The blocks of `stack`, for reading and editing one block.
    public var blocks: [ViTBlock] {
        get { stack.blocks }
        set { stack.blocks = newValue }
    }

    public struct Cache: Sendable {
        let down: Linear.Cache, blocks: [ViTBlock.Cache], norm: LayerNorm.Cache, head: Linear.Cache
        let visible: Int, masked: Int
    }

    public init(name: String, maskToken: Tensor, down: Linear, positions: Tensor, blocks: [ViTBlock], norm: LayerNorm, head: Linear) {
        self.name = name
        self.maskToken = Parameter(maskToken)
        self.down = down
        self.positions = positions
        self.stack = BlockStack(blocks)
        self.norm = norm
        self.head = head
    }

    /// e: encoder output on visible tokens [B, Nv, D]; mask [B·N] (true = masked). Returns [B, Nm, Dt], rows in
    /// ascending masked-token order. Decoder input is [visible + positions, mask token + positions].
    public func forward(_ e: Tensor, mask: [Bool], using rng: inout SplitMix64) -> (Tensor, Cache) {
        let (b, nv) = (e.shape[0], e.shape[1])
        let n = positions.shape[0], dd = width
        let (v, downCache) = down.forward(e)
        let (tokens, nm) = OpProfile.op(.tokens) {
            let table = Tensor(shape: [b, n, dd], (0..<b).flatMap { _ in positions.storage })
            let visible = v + gatherTokens(table, mask: mask, select: false)
            var maskedPart = gatherTokens(table, mask: mask, select: true)
            addRowVector(&maskedPart, maskToken.value.reshaped([dd]))
            return (concatTokens(visible, maskedPart), maskedPart.shape[1])
        }
        let (x, caches) = stack.forward(tokens, using: &rng)
        let (normed, nc) = norm.forward(OpProfile.op(.tokens) { sliceTokens(x, from: nv, count: nm) })
        let (pred, hc) = head.forward(normed)
        return (pred, Cache(down: downCache, blocks: caches, norm: nc, head: hc, visible: nv, masked: nm))
    }

    /// Inference forward (no caches).
    public func callAsFunction(_ e: Tensor, mask: [Bool]) -> Tensor {
        var rng = SplitMix64(seed: 0)
        return forward(e, mask: mask, using: &rng).0
    }

    /// Accumulates gradients; returns d e [B, Nv, D].
    public mutating func backward(_ dPred: Tensor, _ c: Cache) -> Tensor {
        let dNormed = head.backward(dPred, c.head)!
        let dNorm = norm.backward(dNormed, c.norm)
        let dx = stack.backward(OpProfile.op(.tokens) { padTokens(dNorm, from: c.visible, total: c.visible + c.masked) }, c.blocks)
        let dVisible = OpProfile.op(.tokens) {
            let dMasked = sliceTokens(dx, from: c.visible, count: c.masked)
            maskToken.withGrad { g in accumulateColumnSums(dMasked, into: g) }
            return sliceTokens(dx, from: 0, count: c.visible)
        }
        return down.backward(dVisible, c.down)!
    }

    public mutating func visitParameters(prefix: String, _ visit: (String, inout Parameter) -> Void) {
        visit(prefix + "mask_token_\(name)", &maskToken)
        down.visitParameters(prefix: prefix + "down_\(name).", visit)
        stack.visitParameters(prefix: prefix + "decoder_\(name).", visit)
        norm.visitParameters(prefix: prefix + "decoder_\(name).norm.", visit)
        head.visitParameters(prefix: prefix + "decoder_\(name).head.", visit)
    }
}
