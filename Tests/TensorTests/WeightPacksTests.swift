import TestSupport
import Testing

@testable import Tensor

/// Linear layers' products with weights packed once per scope (bf16).
@Suite("packed weights", .serialized)
struct WeightPacksTests {
    /// Whether oneDNN has a bf16 matmul on this CPU (it needs AVX-512). Without one, bf16 products are emulated on the
    /// plain path and nothing is packed in bf16: the tests then check that the plain path is taken.
    static let bf16Kernel = ComputePrecision.kernelName(.bf16) != nil

    static func layer(inputs: Int, outputs: Int, seed: UInt64) -> (Linear, Tensor) {
        var rng = TestRandom(seed: seed)
        let linear = Linear(
            weight: Tensor(shape: [outputs, inputs], rng.array(outputs * inputs)), bias: Tensor(shape: [outputs], rng.array(outputs)))
        return (linear, Tensor(shape: [2, 150, inputs], rng.array(300 * inputs)))
    }

    /// y against x · Wᵀ + bias (of the bf16-rounded operands in bf16): ≤ 1 means within the fp32 summation bound.
    static func forwardBound(_ y: Tensor, _ linear: Linear, _ x: Tensor, _ precision: Precision = .bf16) -> Double {
        let bias = linear.bias!.value
        let rows = x.rowCount
        let base = Tensor(shape: [rows, bias.count], (0..<rows).flatMap { _ in bias.storage })
        let (x2, w) = (x.reshaped([rows, x.lastDimension]), linear.weight.value)
        return BF16MatmulTests.boundRatio(
            y.reshaped([rows, bias.count]), precision == .bf16 ? x2.roundedToBF16() : x2, precision == .bf16 ? w.roundedToBF16() : w,
            transA: false, transB: true, base: base)
    }

    @Test(
        "inside a scope the forward packs the weight once, adds the bias in the product, and computes the same product",
        arguments: Precision.allCases)
    func forwardPacked(_ precision: Precision) {
        for (inputs, outputs) in [(40, 70), (96, 130), (384, 48)] {
            let (linear, x) = Self.layer(inputs: inputs, outputs: outputs, seed: UInt64(inputs))
            let (plain, packed, count) = ComputePrecision.with(precision) {
                let plain = linear(x)
                return WeightPacks.scope { (plain, linear(x), WeightPacks.current!.count) }
            }
            let packable = precision == .fp32 || Self.bf16Kernel
            #expect(count == (packable ? 1 : 0), "\(inputs)→\(outputs): packed \(count) weights, oneDNN bf16 kernel: \(Self.bf16Kernel)")
            #expect(Self.forwardBound(packed, linear, x, precision) <= 1, "\(inputs)→\(outputs): packed forward outside the bound")
            #expect(Self.forwardBound(plain, linear, x, precision) <= 1, "\(inputs)→\(outputs): plain forward outside the bound")
            #expect(WeightPacks.current == nil, "the packs outlived their scope")
        }
    }

    @Test("too few rows, fp32 products sent to OpenBLAS, or no scope: nothing is packed")
    func notPacked() {
        let (linear, x) = Self.layer(inputs: 40, outputs: 70, seed: 1)
        let counts = WeightPacks.scope(minimumRows: 200) { () -> [Int] in
            let short = x.reshaped([300, 40]).storage.prefix(40 * 199)
            _ = ComputePrecision.with(.bf16) { linear(Tensor(shape: [199, 40], Array(short))) }
            _ = MatrixBackend.$fp32.withValue(.openBLAS) { ComputePrecision.with(.fp32) { linear(x) } }
            let before = WeightPacks.current!.count
            _ = ComputePrecision.with(.fp32) { linear(x) }
            return [before, WeightPacks.current!.count]
        }
        #expect(counts == [0, 1])
    }

    @Test("a weight written inside the scope is packed again: the pack holds the storage, so a write copies it")
    func writeAfterPacking() {
        var (linear, x) = Self.layer(inputs: 96, outputs: 130, seed: 3)
        let (before, after, count) = ComputePrecision.with(.bf16) {
            WeightPacks.scope { () -> (Tensor, Tensor, Int) in
                let before = linear(x)
                for i in 0..<linear.weight.value.count { linear.weight.value.storage[i] *= -1 }
                return (before, linear(x), WeightPacks.current!.count)
            }
        }
        #expect(count == (Self.bf16Kernel ? 2 : 0))
        #expect(Self.forwardBound(after, linear, x) <= 1, "the second forward used the stale pack")
        #expect(before != after)
    }

    @Test("packed forward and input gradient are bit-identical for 1 and 2 threads and within the bf16 bound")
    func threadsAndBackward() {
        let (linear, x) = Self.layer(inputs: 96, outputs: 130, seed: 4)
        var rng = TestRandom(seed: 5)
        let dy = Tensor(shape: [2, 150, 130], rng.array(300 * 130))
        func run(threads: Int) -> (Tensor, Tensor) {
            ComputeThreads.set(threads)
            defer { ComputeThreads.set(2) }
            return ComputePrecision.with(.bf16) {
                WeightPacks.scope {
                    var copy = linear
                    let (y, cache) = copy.forward(x)
                    return (y, copy.backward(dy, cache)!)
                }
            }
        }
        let (y1, dx1) = run(threads: 1), (y2, dx2) = run(threads: 2)
        #expect(y1 == y2 && dx1 == dx2)
        let dxBound = BF16MatmulTests.boundRatio(
            dx2.reshaped([300, 96]), dy.reshaped([300, 130]).roundedToBF16(), linear.weight.value.roundedToBF16(),
            transA: false, transB: false)
        #expect(dxBound <= 1, "packed dx outside the bound: \(dxBound)")
    }

    @Test("bf16 inference of an MLP inside a scope fuses GELU into fc1's product, stores it in bf16, and follows the unfused path")
    func fusedMLP() {
        var rng = TestRandom(seed: 7)
        let fc1 = Linear(weight: Tensor(shape: [256, 96], rng.array(256 * 96)), bias: Tensor(shape: [256], rng.array(256)))
        let fc2 = Linear(weight: Tensor(shape: [96, 256], rng.array(96 * 256).map { $0 * 0.1 }), bias: Tensor(shape: [96], rng.array(96)))
        let mlp = MLP(fc1: fc1, fc2: fc2), x = Tensor(shape: [2, 150, 96], rng.array(300 * 96))
        func fused(threads: Int) -> (Tensor, Int) {
            ComputeThreads.set(threads)
            defer { ComputeThreads.set(2) }
            return ComputePrecision.with(.bf16) { WeightPacks.scope { (mlp(x), WeightPacks.current!.count) } }
        }
        let (y, count) = fused(threads: 2)
        // The training path, in the same kind of scope: the same packed products, our GELU, fp32 between them. Were the
        // fused path not taken, the two would agree to the bit; oneDNN's GELU differs from ours in the last bits.
        let unfused = ComputePrecision.with(.bf16) { WeightPacks.scope { mlp.forward(x).0 } }
        #expect(count == (Self.bf16Kernel ? 2 : 0))
        // Without a bf16 kernel nothing is packed and inference takes the training path itself.
        #expect(Self.bf16Kernel ? y != unfused : y == unfused)
        #expect(fused(threads: 1).0 == y)
        let a = Agreement(y.storage, unfused.storage)
        #expect(a.cosine > 0.99999 && a.meanRelative < 1e-2, "\(a)")
        // and it is the bf16-stored path: the hidden activation rounded, unlike fp32 inference
        let fp32 = mlp(x)
        #expect(Agreement(y.storage, fp32.storage).meanRelative > 1e-4)
    }

    @Test("a scope that does not inherit gets packs of its own; an inheriting one shares them")
    func nesting() {
        let outer = WeightPacks.scope { () -> Bool in
            let enclosing = WeightPacks.current!
            let shared = WeightPacks.scope { WeightPacks.current! === enclosing }
            let fresh = WeightPacks.scope(inheriting: false) { WeightPacks.current! !== enclosing }
            return shared && fresh
        }
        #expect(outer)
    }

    @Test("panels of rows are about 128, equal, and cover the product", arguments: [256, 300, 1568, 3136, 4000])
    func split(_ m: Int) {
        let rows = PackedSplit.rows(m)
        let panels = (m + rows - 1) / rows
        #expect(rows % 16 == 0 && rows <= 128 && rows >= 64)
        #expect((panels - 1) * rows < m && panels * rows >= m)
    }
}
