import CBLAS
import DNNLKernels

/// Row-major GEMM: C[M,N] = alpha * op(A) * op(B) + beta * C, in fp32 or bf16 (see `Precision`).
///
/// op(A) is [M,K] (A stored [M,K] with lda, or [K,M] when `transA`); op(B) is [K,N] (B stored [K,N] with ldb,
/// or [N,K] when `transB`). Leading dimensions allow operating on column slices (e.g. one head of a qkv row).
///
/// Large products are split into panels of `GemmSplit.panel(precision)` columns (or rows) of C, each computed by a
/// single-threaded library call and spread over `threads` threads; the panels do not depend on the thread count, so
/// neither does any result. Products go to oneDNN
/// (fp32 and bf16); OpenBLAS computes fp32 products only when `backend` says so (benchmarks) or when oneDNN cannot
/// create a primitive.
public func gemm(
    transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
    alpha: Float = 1, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int, threads: Int = ComputeThreads.count,
    precision: Precision = ComputePrecision.current, backend: MatrixBackend = MatrixBackend.fp32
) {
    guard m > 0, n > 0 else { return }
    let panel = GemmSplit.panel(precision)
    let splitRows = n < 2 * panel
    let extent = splitRows ? m : n
    if m * n * k >= 1 << 21 && extent > panel {
        let panels = (extent + panel - 1) / panel
        // An odd number of column panels leaves threads idle at the end (a 768-wide product's 3 panels on 2 threads:
        // one thread waits a third of the time; it ran at 114 GFLOP/s where 3072-wide ones ran at 139, Zen 3, fp32).
        // With rows enough, each such panel is also cut in two halves of rows. Like the panels, the halves depend on
        // the shape alone, never on the thread count.
        let halves = !splitRows && panels % 2 == 1 && m >= 2 * panel ? 2 : 1
        let half = (m / 2 + 15) / 16 * 16  // rows of the first half: a multiple of 16, as oneDNN's row blocks
        // bf16 operands are rounded once here, not once per panel (the shared operand would be, every time).
        let (aRows, aCols) = transA ? (k, m) : (m, k), (bRows, bCols) = transB ? (n, k) : (k, n)
        let packed =
            precision == .bf16
            ? (mvd_bf16_pack(0, a, Int64(aRows), Int64(aCols), Int64(lda)), mvd_bf16_pack(1, b, Int64(bRows), Int64(bCols), Int64(ldb)))
            : (nil, nil)
        let one = { (unit: Int) in
            let (p, h) = unit.quotientAndRemainder(dividingBy: halves)
            let lo = p * panel, size = min(extent, lo + panel) - lo
            // The unit's first row and row count (all rows but for a half of a column panel).
            let (r0, rows) = splitRows || halves == 1 ? (0, m) : (h == 0 ? (0, half) : (half, m - half))
            let (pm, pn) = splitRows ? (size, n) : (rows, size)
            let aOffset = splitRows ? (transA ? lo : lo * lda) : (transA ? r0 : r0 * lda)
            let bOffset = splitRows ? 0 : (transB ? lo * ldb : lo)
            let cOffset = splitRows ? lo * ldc : r0 * ldc + lo
            if let qa = packed.0, let qb = packed.1 {
                let qaOffset = splitRows ? (transA ? lo : lo * aCols) : (transA ? r0 : r0 * aCols)
                let qbOffset = splitRows ? 0 : (transB ? lo * bCols : lo)
                if mvd_dnnl_matmul_bf16(
                    transA ? 1 : 0, transB ? 1 : 0, Int64(pm), Int64(pn), Int64(k), alpha, qa + qaOffset,
                    Int64(aCols), qb + qbOffset, Int64(bCols), beta, c + cOffset, Int64(ldc)) != 0
                {
                    // No bf16 kernel: emulate (repacking here would overwrite the operands other panels read).
                    emulatedBF16(
                        transA: transA, transB: transB, m: pm, n: pn, k: k, alpha: alpha, a: a + aOffset, lda: lda,
                        b: b + bOffset, ldb: ldb, beta: beta, c: c + cOffset, ldc: ldc)
                }
                return
            }
            gemmPanel(
                transA: transA, transB: transB, m: pm, n: pn, k: k, alpha: alpha, a: a + aOffset, lda: lda,
                b: b + bOffset, ldb: ldb, beta: beta, c: c + cOffset, ldc: ldc, precision: precision, backend: backend)
        }
        let units = panels * halves
        if threads > 1 { parallelBlocks(units, one) } else { for u in 0..<units { one(u) } }
        return
    }
    gemmPanel(
        transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
        beta: beta, c: c, ldc: ldc, precision: precision, backend: backend)
}

/// How large products are split over the threads.
///
/// Into panels of columns of C (rows when C has fewer than 2 panels of columns): a column panel uses one slice of
/// the right operand (the weights of a linear layer), which oneDNN's bf16 kernels repack for every call, so each
/// weight is repacked once per product instead of once per panel. Measured with `mvd bench` on a 2-core AMX Xeon,
/// 256-column panels gave 2.0-2.3x the bf16 GFLOP/s of 64-row panels on the ViT-B shapes.
public enum GemmSplit {
    /// Columns (or rows) of C per panel. Fixed per precision, so that the split, and with it every sum's order, does
    /// not depend on the thread count: oneDNN's kernels choose their blocking, and so their order of summation, from
    /// the shape of the product they are given.
    ///
    /// bf16: 128. One AMX call of 1568×768×128 runs at the GFLOP/s of one of 1568×768×256, and 128 balances the
    /// threads on a ViT's 768-wide products (3 panels of 256 left one of two threads idle for a third of the product;
    /// 6 of 128 do not). oneDNN's AMX kernel gives the same bits for a 256-column product and its two 128-column
    /// halves, and runs of extract-features, distill and evaluate wrote identical caches, checkpoints and results
    /// with either panel. fp32: 256, because there the smaller panel changed the last bits of some products (of
    /// distillation's backward pass), and with them every fp32 result published so far.
    public static func panel(_ precision: Precision) -> Int { precision == .bf16 ? 128 : 256 }
}

/// One panel on the calling thread.
private func gemmPanel(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
    b: UnsafePointer<Float>, ldb: Int, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int,
    precision: Precision, backend: MatrixBackend
) {
    if k == 0 {  // libraries leave C untouched when k = 0 only if beta = 1; make the empty product explicit
        // beta = 0 does not read C (it may be unfilled memory, where 0 · NaN would stay NaN)
        for i in 0..<m { for j in 0..<n { c[i * ldc + j] = beta == 0 ? 0 : c[i * ldc + j] * beta } }
        return
    }
    switch precision {
    case .bf16:
        if mvd_dnnl_matmul(
            1, transA ? 1 : 0, transB ? 1 : 0, Int64(m), Int64(n), Int64(k), alpha, a, Int64(lda),
            b, Int64(ldb), beta, c, Int64(ldc)) != 0
        {
            // oneDNN has no bf16 kernel here (a CPU without AVX-512): the same arithmetic, emulated.
            emulatedBF16(
                transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                beta: beta, c: c, ldc: ldc)
        }
    case .fp32:
        if backend == .oneDNN,
            mvd_dnnl_matmul(
                0, transA ? 1 : 0, transB ? 1 : 0, Int64(m), Int64(n), Int64(k), alpha, a, Int64(lda),
                b, Int64(ldb), beta, c, Int64(ldc)) == 0
        {
            return
        }
        cblas_sgemm(
            CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}

/// Which library computes fp32 products. bf16 products always go to oneDNN.
///
/// oneDNN is the default: it picks its kernels from the CPU itself and was faster on every ViT shape measured
/// (`mvd bench`), while OpenBLAS 0.3.21 falls back to its generic SSE3 ("Prescott") kernel on CPUs it does not know,
/// such as Xeons with AMX, and to AVX2 where `OPENBLAS_CORETYPE=Haswell` is set.
public enum MatrixBackend: String, Sendable, CaseIterable {
    case openBLAS, oneDNN

    /// The fp32 backend of `gemm` calls that do not name one (task-local, for side-by-side benchmarks). Kernels that
    /// call `gemm` from their own worker threads (attention) use the default.
    @TaskLocal public static var fp32: MatrixBackend = .oneDNN
}

/// A bf16 product computed as fp32 products of operands rounded to bf16: what the bf16 kernels compute, up to the
/// order of the fp32 sums. The fallback when oneDNN has no bf16 kernel.
func emulatedBF16(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
    b: UnsafePointer<Float>, ldb: Int, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
) {
    func rounded(_ p: UnsafePointer<Float>, rows: Int, cols: Int, ld: Int) -> [Float] {
        var out = [Float](repeating: 0, count: rows * cols)
        out.withUnsafeMutableBufferPointer { o in
            for r in 0..<rows { mvd_round_to_bf16(p + r * ld, o.baseAddress! + r * cols, cols) }
        }
        return out
    }
    let (aRows, aCols) = transA ? (k, m) : (m, k)
    let (bRows, bCols) = transB ? (n, k) : (k, n)
    let qa = rounded(a, rows: aRows, cols: aCols, ld: lda), qb = rounded(b, rows: bRows, cols: bCols, ld: ldb)
    cblas_sgemm(
        CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
        Int32(m), Int32(n), Int32(k), alpha, qa, Int32(aCols), qb, Int32(bCols), beta, c, Int32(ldc))
}

/// Matrix product of the last two dimensions, batched over leading ones.
///
/// a: [..., M, K] (or [..., K, M] with `transA`), b: [..., K, N] (or [..., N, K] with `transB`), or a 2-D b
/// shared by every batch entry. Returns [..., M, N].
public func matmul(_ a: Tensor, _ b: Tensor, transA: Bool = false, transB: Bool = false) -> Tensor {
    precondition(a.rank >= 2 && b.rank >= 2, "matmul needs rank >= 2, got \(a.shape) and \(b.shape)")
    let (m, k) = transA ? (a.shape[a.rank - 1], a.shape[a.rank - 2]) : (a.shape[a.rank - 2], a.shape[a.rank - 1])
    let (kb, n) = transB ? (b.shape[b.rank - 1], b.shape[b.rank - 2]) : (b.shape[b.rank - 2], b.shape[b.rank - 1])
    precondition(k == kb, "matmul inner dimensions differ: \(a.shape)\(transA ? "ᵀ" : "") · \(b.shape)\(transB ? "ᵀ" : "")")
    let batchShape = Array(a.shape.dropLast(2))
    let batch = batchShape.reduce(1, *)
    let sharedB = b.rank == 2
    precondition(
        sharedB || Array(b.shape.dropLast(2)) == batchShape,
        "matmul batch dimensions differ: \(a.shape) vs \(b.shape)")
    var out = Tensor(unfilled: batchShape + [m, n])
    a.withUnsafeBufferPointer { pa in
        b.withUnsafeBufferPointer { pb in
            out.withUnsafeMutableBufferPointer { pc in
                for i in 0..<batch {
                    gemm(
                        transA: transA, transB: transB, m: m, n: n, k: k,
                        a: pa.baseAddress! + i * m * k, lda: transA ? m : k,
                        b: pb.baseAddress! + (sharedB ? 0 : i * k * n), ldb: transB ? k : n,
                        c: pc.baseAddress! + i * m * n, ldc: n)
                }
            }
        }
    }
    return out
}

/// The algorithmic reference for `matmul`: three plain loops accumulated in Double. Test oracle only.
public func matmulNaive(_ a: Tensor, _ b: Tensor, transA: Bool = false, transB: Bool = false) -> Tensor {
    let (m, k) = transA ? (a.shape[a.rank - 1], a.shape[a.rank - 2]) : (a.shape[a.rank - 2], a.shape[a.rank - 1])
    let n = transB ? b.shape[b.rank - 2] : b.shape[b.rank - 1]
    let batchShape = Array(a.shape.dropLast(2))
    let batch = batchShape.reduce(1, *)
    let sharedB = b.rank == 2
    var out = Tensor(shape: batchShape + [m, n])
    for bi in 0..<batch {
        let ao = bi * m * k, bo = sharedB ? 0 : bi * k * n
        for i in 0..<m {
            for j in 0..<n {
                var acc = 0.0
                for p in 0..<k {
                    let x = transA ? a.storage[ao + p * m + i] : a.storage[ao + i * k + p]
                    let y = transB ? b.storage[bo + j * k + p] : b.storage[bo + p * n + j]
                    acc += Double(x) * Double(y)
                }
                out.storage[bi * m * n + i * n + j] = Float(acc)
            }
        }
    }
    return out
}
