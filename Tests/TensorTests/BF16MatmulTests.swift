// swift-format-ignore-file
// (Pointer closures are nested on one line each, so that the loop bodies keep one indentation level.)
import CKernels
import Testing
import TestSupport
@testable import Tensor

/// bf16 products: operands rounded to bf16, sums in fp32. The reference rounds the operands the same way and sums in
/// Double, so the only difference left is fp32 summation, bounded by k·2⁻²⁴·Σ|aᵢbᵢ| per entry.
@Suite("bf16 and oneDNN matrix products")
struct BF16MatmulTests {
    /// Largest |c − exact| / (k·2⁻²⁴·Σ|aᵢbᵢ|) over all entries: ≤ 1 means within the fp32 summation bound.
    static func boundRatio(_ c: Tensor, _ a: Tensor, _ b: Tensor, transA: Bool, transB: Bool, alpha: Float = 1,
                           base: Tensor? = nil) -> Double {
        let exact = matmulNaive(a, b, transA: transA, transB: transB)
        let magnitude = matmulNaive(Tensor(shape: a.shape, a.storage.map(abs)), Tensor(shape: b.shape, b.storage.map(abs)),
                                    transA: transA, transB: transB)
        let k = Double(transA ? a.shape[0] : a.shape[1])
        var worst = 0.0
        for i in 0..<c.count {
            let want = Double(alpha) * Double(exact.storage[i]) + Double(base?.storage[i] ?? 0)
            let bound = k * 0x1p-24 * (Double(abs(alpha)) * Double(magnitude.storage[i]) + Double(abs(base?.storage[i] ?? 0))) + 1e-30
            worst = max(worst, abs(Double(c.storage[i]) - want) / bound)
        }
        return worst
    }

    /// C = alpha · op(A) · op(B) + beta · C0 through `gemm`, with A's rows padded (lda > its width) to exercise strides.
    static func product(_ a: Tensor, _ b: Tensor, transA: Bool, transB: Bool, alpha: Float, c0: Tensor?,
                        precision: Precision) -> Tensor {
        let (m, k) = transA ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
        let n = transB ? b.shape[0] : b.shape[1]
        let pad = 3, lda = a.shape[1] + pad
        var padded = [Float](repeating: .nan, count: a.shape[0] * lda)  // a NaN read from the padding would show
        for r in 0..<a.shape[0] { for j in 0..<a.shape[1] { padded[r * lda + j] = a.storage[r * a.shape[1] + j] } }
        var c = c0 ?? Tensor.zeros([m, n])
        padded.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in c.withUnsafeMutableBufferPointer { pc in
            gemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: pa.baseAddress!, lda: lda,
                 b: pb.baseAddress!, ldb: b.shape[1], beta: c0 == nil ? 0 : 1, c: pc.baseAddress!, ldc: n,
                 precision: precision)
        }}}
        return c
    }

    @Test("bf16 products are fp32 sums of bf16-rounded operands, for every transpose, stride, alpha and beta",
          arguments: [(false, false), (true, false), (false, true), (true, true)])
    func bf16Products(_ transA: Bool, _ transB: Bool) {
        var rng = TestRandom(seed: 11)
        // The last two are split into panels (GemmSplit.panel(.bf16) = 128): of columns (C strided), and of rows.
        for (m, k, n) in [(37, 19, 23), (160, 96, 130), (64, 384, 48), (300, 40, 700), (700, 40, 200)] {
            let a = Tensor(shape: transA ? [k, m] : [m, k], rng.array(m * k))
            let b = Tensor(shape: transB ? [n, k] : [k, n], rng.array(k * n))
            let c0 = Tensor(shape: [m, n], rng.array(m * n))
            for (alpha, base) in [(Float(1), nil), (0.125, c0)] as [(Float, Tensor?)] {
                let c = Self.product(a, b, transA: transA, transB: transB, alpha: alpha, c0: base, precision: .bf16)
                let ratio = Self.boundRatio(c, a.roundedToBF16(), b.roundedToBF16(), transA: transA, transB: transB,
                                            alpha: alpha, base: base)
                #expect(ratio <= 1, "\(m)x\(k)x\(n) alpha \(alpha): error \(ratio)× the fp32 summation bound")
                // and it is not an fp32 product: against unrounded operands it is far outside that bound
                let fp32Ratio = Self.boundRatio(c, a, b, transA: transA, transB: transB, alpha: alpha, base: base)
                #expect(fp32Ratio > 10, "\(m)x\(k)x\(n): the bf16 product looks like an fp32 one (\(fp32Ratio))")
            }
        }
    }

    @Test("the emulated bf16 product (no native kernel) computes the same arithmetic")
    func emulated() {
        var rng = TestRandom(seed: 12)
        let (m, k, n) = (45, 70, 33)
        let a = Tensor(shape: [k, m], rng.array(m * k)), b = Tensor(shape: [n, k], rng.array(k * n))
        var c = Tensor.zeros([m, n])
        a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in c.withUnsafeMutableBufferPointer { pc in
            emulatedBF16(transA: true, transB: true, m: m, n: n, k: k, alpha: 1, a: pa.baseAddress!, lda: m,
                         b: pb.baseAddress!, ldb: k, beta: 0, c: pc.baseAddress!, ldc: n)
        }}}
        #expect(Self.boundRatio(c, a.roundedToBF16(), b.roundedToBF16(), transA: true, transB: true) <= 1)
    }

    @Test("fp32 products from both backends stay within the fp32 summation bound",
          arguments: MatrixBackend.allCases, [(false, false), (true, true)])
    func fp32Backends(_ backend: MatrixBackend, _ trans: (Bool, Bool)) {
        var rng = TestRandom(seed: 13)
        let (transA, transB) = trans
        for (m, k, n) in [(160, 96, 130), (300, 40, 700), (700, 40, 300)] {
            let a = Tensor(shape: transA ? [k, m] : [m, k], rng.array(m * k))
            let b = Tensor(shape: transB ? [n, k] : [k, n], rng.array(k * n))
            let c0 = Tensor(shape: [m, n], rng.array(m * n))
            let c = MatrixBackend.$fp32.withValue(backend) {
                Self.product(a, b, transA: transA, transB: transB, alpha: 0.5, c0: c0, precision: .fp32)
            }
            #expect(Self.boundRatio(c, a, b, transA: transA, transB: transB, alpha: 0.5, base: c0) <= 1, "\(m)x\(k)x\(n)")
        }
    }

    @Test("the softmax that writes bf16 gives the bits of the softmax rounded afterwards, and keeps fp32 when asked",
          arguments: [1, 15, 16, 37, 130])
    func softmaxToBF16(_ cols: Int) {
        var rng = TestRandom(seed: UInt64(cols))
        let rows = 5
        let scores = rng.array(rows * cols).map { $0 * 20 }
        var reference = scores, kept = scores, scratch = scores
        var out = [UInt16](repeating: 0, count: rows * cols), outKept = out
        mvd_softmax_rows(&reference, rows, cols)
        mvd_softmax_rows_bf16(&kept, rows, cols, &outKept, 1)
        mvd_softmax_rows_bf16(&scratch, rows, cols, &out, 0)
        let rounded = Tensor(shape: [rows * cols], reference).roundedToBF16().storage.map { UInt16($0.bitPattern >> 16) }
        #expect(out == rounded)
        #expect(outKept == rounded)
        #expect(kept == reference)
    }

    @Test("rounding to bf16: nearest, ties to even, NaN and infinities kept")
    func rounding() {
        // 1 + 2⁻⁸ is halfway between 1 and 1 + 2⁻⁷: ties go to the even 1. 1 + 3·2⁻⁸ goes up to 1 + 2⁻⁶.
        // 1 + 2⁻⁹ is below halfway and goes down; −3 − 2⁻⁶ is exactly representable.
        let x = Tensor(shape: [6], [1 + 0x1p-8, 1 + 3 * 0x1p-8, 1 + 0x1p-9, -3 - 0x1p-6, .infinity, .nan])
        let r = x.roundedToBF16().storage
        #expect(r[0] == 1 && r[1] == 1 + 0x1p-6 && r[2] == 1 && r[3] == -3 - 0x1p-6)
        #expect(r[4] == .infinity && r[5].isNaN)
    }

    @Test("the precision is scoped: bf16 inside `with`, fp32 outside, and attention's worker threads follow it")
    func scoped() {
        var rng = TestRandom(seed: 14)
        let qkv = Tensor(shape: [2, 40, 3 * 32], rng.array(2 * 40 * 96))
        let (fp32, _) = attentionForward(qkv, heads: 4, scale: 0.25)
        let (bf16, _) = ComputePrecision.with(.bf16) { attentionForward(qkv, heads: 4, scale: 0.25) }
        let (again, _) = attentionForward(qkv, heads: 4, scale: 0.25)
        #expect(again.storage == fp32.storage)
        #expect(bf16.storage != fp32.storage)
        let r = closeness(bf16.storage, fp32.storage, atol: 2e-2, rtol: 2e-2, label: "bf16 attention")
        #expect(r.ok, "\(r)")
        #expect(ComputePrecision.current == .fp32)
    }

    @Test("bf16 attention in blocks of rows (inference on long sequences) stays close to fp32 and is bf16")
    func blockedAttention() {
        var rng = TestRandom(seed: 15)
        let qkv = Tensor(shape: [1, 600, 3 * 32], rng.array(600 * 96))
        let (fp32, _) = attentionForward(qkv, heads: 2, scale: 0.25, saveForBackward: false)
        let (bf16, _) = ComputePrecision.with(.bf16) { attentionForward(qkv, heads: 2, scale: 0.25, saveForBackward: false) }
        let (trained, _) = ComputePrecision.with(.bf16) { attentionForward(qkv, heads: 2, scale: 0.25, saveForBackward: true) }
        #expect(bf16.storage != fp32.storage)
        #expect(bf16.storage == trained.storage, "the blocked and whole-sequence bf16 paths round the same operands")
        let a = Agreement(bf16.storage, fp32.storage)
        #expect(a.cosine > 0.9999 && a.meanRelative < 2e-2, "\(a)")
    }

    @Test("blocked attention (each thread packs whole heads' keys and values) does not depend on the thread count; bf16 gives the whole-sequence bits, fp32 agrees to fp32 rounding", arguments: [Precision.fp32, .bf16])
    func blockedAttentionPacked(precision: Precision) {
        var rng = TestRandom(seed: 17)
        let qkv = Tensor(shape: [2, 530, 3 * 48], rng.array(2 * 530 * 144))
        func blocked(threads: Int) -> Tensor {
            ComputeThreads.set(threads)
            defer { ComputeThreads.set(2) }
            return ComputePrecision.with(precision) { attentionForward(qkv, heads: 3, scale: 0.125, saveForBackward: false).0 }
        }
        let two = blocked(threads: 2)
        #expect(blocked(threads: 1).storage == two.storage)
        let whole = ComputePrecision.with(precision) { attentionForward(qkv, heads: 3, scale: 0.125).0 }
        let r = precision == .fp32
            ? closeness(two.storage, whole.storage, atol: 1e-6, rtol: 1e-5, label: "blocked fp32 attention")
            : closeness(two.storage, whole.storage, atol: 0, rtol: 0, label: "blocked bf16 attention")
        #expect(r.ok, "\(r)")
    }

    @Test("training attention on a long sequence keeps no probabilities; the backward pass computes them again block by block, agrees with the whole-sequence backward and does not depend on the thread count", arguments: [Precision.fp32, .bf16])
    func blockedAttentionBackward(precision: Precision) {
        var rng = TestRandom(seed: 18)
        let (n, heads) = (530, 3)
        let qkv = Tensor(shape: [2, n, 3 * 48], rng.array(2 * n * 144)), dOut = Tensor(shape: [2, n, 48], rng.array(2 * n * 48))
        func gradient(_ precision: Precision, threads: Int = 2) -> (out: Tensor, dqkv: Tensor, kept: Bool) {
            ComputeThreads.set(threads)
            defer { ComputeThreads.set(2) }
            return ComputePrecision.with(precision) {
                let (out, saved) = attentionForward(qkv, heads: heads, scale: 0.125)
                let dqkv = attentionBackward(dOut, qkv: qkv, saved: saved!, heads: heads, scale: 0.125)
                return (out, dqkv, saved!.probabilities != nil)
            }
        }
        let two = gradient(precision)
        #expect(!two.kept, "no [B·H, N, N] probabilities for N = \(n)")
        let inference = ComputePrecision.with(precision) { attentionForward(qkv, heads: heads, scale: 0.125, saveForBackward: false).0 }
        #expect(two.out.storage == inference.storage, "training and inference run the same blocks")
        #expect(gradient(precision, threads: 1).dqkv.storage == two.dqkv.storage)
        // The whole-sequence path (OpenBLAS keeps the probabilities) in fp32: the same sums in other orders.
        let whole = MatrixBackend.$fp32.withValue(.openBLAS) { gradient(.fp32) }
        #expect(whole.kept)
        if precision == .fp32 {
            let r = closeness(two.dqkv.storage, whole.dqkv.storage, atol: 1e-5, rtol: 1e-4, label: "blocked fp32 attention backward")
            #expect(r.ok, "\(r)")
        } else {
            let a = Agreement(two.dqkv.storage, whole.dqkv.storage)
            #expect(a.cosine > 0.999 && a.meanRelative < 5e-2, "\(a)")
        }
    }

    @Test("bf16 attention backward (operands rounded once, dS rounded by the softmax backward) follows fp32's, is bf16, and does not depend on the thread count")
    func attentionBackwardBF16() {
        var rng = TestRandom(seed: 16)
        let qkv = Tensor(shape: [2, 70, 3 * 32], rng.array(2 * 70 * 96)), dOut = Tensor(shape: [2, 70, 32], rng.array(2 * 70 * 32))
        func gradient(_ precision: Precision, threads: Int = 2) -> Tensor {
            ComputeThreads.set(threads)
            defer { ComputeThreads.set(2) }
            return ComputePrecision.with(precision) {
                let (_, saved) = attentionForward(qkv, heads: 4, scale: 0.25)
                return attentionBackward(dOut, qkv: qkv, saved: saved!, heads: 4, scale: 0.25)
            }
        }
        let fp32 = gradient(.fp32), bf16 = gradient(.bf16)
        // fp32 through oneDNN's dense per-head copies against the strided path (OpenBLAS): the same sums, other orders
        let strided = MatrixBackend.$fp32.withValue(.openBLAS) { gradient(.fp32) }
        let r = closeness(fp32.storage, strided.storage, atol: 1e-5, rtol: 1e-4, label: "fp32 attention backward")
        #expect(r.ok, "\(r)")
        #expect(bf16.storage != fp32.storage)
        #expect(gradient(.bf16, threads: 1).storage == bf16.storage)
        let a = Agreement(bf16.storage, fp32.storage)
        #expect(a.cosine > 0.999 && a.meanRelative < 5e-2, "\(a)")
    }
}
