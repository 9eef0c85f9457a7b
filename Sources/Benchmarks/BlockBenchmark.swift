import Tensor

/// Times one ViT block's training forward and backward on random weights (for `mvd bench`).
public enum BlockBenchmark {
    /// Median times of the two passes; the backward pass does twice the forward's multiply-adds.
    public struct Result: Sendable {
        public var forward: TensorBenchmark.Timing, backward: TensorBenchmark.Timing
        /// Floating-point operations of one forward pass.
        public var forwardFLOPs: Double
        public var backwardFLOPs: Double { 2 * forwardFLOPs }
        public var forwardGFLOPs: Double { forwardFLOPs / forward.median / 1e9 }
        public var backwardGFLOPs: Double { backwardFLOPs / backward.median / 1e9 }
    }

    /// A block of `width` channels and `heads` heads, MLP ratio 4, on a [1, tokens, width] input.
    public static func run(tokens n: Int, width c: Int, heads: Int) -> Result {
        var rng = SplitMix64(seed: 5)
        let bound = 1 / Float(c).squareRoot()
        func u(_ s: [Int]) -> Tensor { Tensor.uniform(s, bound: bound, using: &rng) }
        var block = ViTBlock(
            norm1: LayerNorm(dimension: c),
            attn: Attention(
                qkvWeight: u([3 * c, c]), qkvBias: nil, qBias: u([c]), vBias: u([c]),
                projWeight: u([c, c]), projBias: u([c]), heads: heads),
            norm2: LayerNorm(dimension: c),
            mlp: MLP(fc1: Linear(weight: u([4 * c, c]), bias: u([4 * c])), fc2: Linear(weight: u([c, 4 * c]), bias: u([c]))))
        let x = Tensor.uniform([1, n, c], bound: 1, using: &rng), dy = Tensor.uniform([1, n, c], bound: 1, using: &rng)
        var gen = SplitMix64(seed: 0)
        var cache: ViTBlock.Cache?
        let forward = TensorBenchmark.time(minSeconds: 2, maxRuns: 7) { cache = block.forward(x, using: &gen).1 }
        let backward = TensorBenchmark.time(minSeconds: 2, maxRuns: 7) { _ = block.backward(dy, cache!) }
        // forward MACs: N·12C² (linears) + 2N²C (attention); backward is twice that
        let macs = Double(n) * 12 * Double(c * c) + 2 * Double(n * n) * Double(c)
        return Result(forward: forward, backward: backward, forwardFLOPs: 2 * macs)
    }
}
