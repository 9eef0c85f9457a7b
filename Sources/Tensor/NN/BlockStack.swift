/// ViT blocks run in order, keyed `blocks.i.*` under the owner's prefix: the encoder of the student and the
/// classifier, and each decoder branch of the student. x: [B, N, C] -> [B, N, C].
public struct BlockStack: ParameterContainer, Sendable {
    public var blocks: [ViTBlock]

    public init(_ blocks: [ViTBlock]) { self.blocks = blocks }

    /// Inference (drop path is the identity; nothing is saved).
    public func callAsFunction(_ x: Tensor) -> Tensor { blocks.reduce(x) { y, block in block(y) } }

    /// Training forward; drop-path decisions come from `rng`, block by block.
    public func forward(_ x: Tensor, using rng: inout SplitMix64) -> (Tensor, [ViTBlock.Cache]) {
        var y = x
        var caches: [ViTBlock.Cache] = []
        caches.reserveCapacity(blocks.count)
        for block in blocks {
            let (out, c) = block.forward(y, using: &rng)
            y = out
            caches.append(c)
        }
        return (y, caches)
    }

    /// Reverse of `forward`, last block first; accumulates every parameter gradient and returns dx.
    public mutating func backward(_ dy: Tensor, _ caches: [ViTBlock.Cache]) -> Tensor {
        var dx = dy
        for i in stride(from: blocks.count - 1, through: 0, by: -1) { dx = blocks[i].backward(dx, caches[i]) }
        return dx
    }

    public mutating func visitParameters(prefix: String, _ visit: (String, inout Parameter) -> Void) {
        for i in blocks.indices { blocks[i].visitParameters(prefix: prefix + "blocks.\(i).", visit) }
    }
}
