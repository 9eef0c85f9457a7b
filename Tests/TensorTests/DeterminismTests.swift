import TestSupport
import Testing

@testable import Tensor

@Suite("results do not depend on thread timing or thread count", .serialized)
struct DeterminismTests {
    private func runBlock(threads: Int) -> (Tensor, [Float]) {
        ComputeThreads.set(threads)
        defer { ComputeThreads.set(2) }
        var rng = TestRandom(seed: 21)
        let (c, hidden) = (16, 64)
        var block = ViTBlockReferenceTests.block(
            ViTBlockReferenceTests.parameters(c: c, hidden: hidden, style: .separateQV, rng: &rng),
            c: c, hidden: hidden, heads: 4)
        // 300 rows: enough for several parallel blocks in every kernel
        let x = Tensor(shape: [3, 100, c], rng.array(300 * c))
        var gen = SplitMix64(seed: 1)
        let (y, cache) = block.forward(x, using: &gen)
        _ = block.backward(Tensor(shape: x.shape, rng.array(300 * c)), cache)
        var grads: [Float] = []
        block.visitParameters(prefix: "") { _, p in grads += p.grad.storage }
        return (y, grads)
    }

    @Test("a block's forward and every gradient are bit-identical across repeated runs and 1 vs 2 threads")
    func blockDeterminism() {
        let (y2a, g2a) = runBlock(threads: 2)
        let (y2b, g2b) = runBlock(threads: 2)
        let (y1, g1) = runBlock(threads: 1)
        #expect(y2a == y2b && g2a == g2b, "two runs with 2 threads")
        #expect(y2a == y1 && g2a == g1, "1 thread vs 2 threads")
    }
}
