import CBLAS

/// Row-major single-precision GEMM through OpenBLAS: C[M,N] = alpha * op(A) * op(B) + beta * C.
///
/// op(A) is [M,K] (A stored [M,K] with lda, or [K,M] when `transA`); op(B) is [K,N] (B stored [K,N] with ldb,
/// or [N,K] when `transB`). Leading dimensions allow operating on column slices (e.g. one head of a qkv row).
///
/// Large products are split into `threads` panels of C (rows when M ≥ N, else columns), each computed by a
/// single-threaded OpenBLAS call; every element's dot product is the same whatever the split.
@inlinable
public func gemm(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
                 alpha: Float = 1, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                 beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int, threads: Int = ComputeThreads.count) {
    guard m > 0, n > 0 else { return }
    let parts = min(threads, m * n * k >= 1 << 21 ? threads : 1)
    if parts > 1 {
        let splitRows = m >= n
        let extent = splitRows ? m : n
        let panel = ((extent + parts - 1) / parts + 15) / 16 * 16
        let panels = (extent + panel - 1) / panel
        parallelBlocks(panels) { p in
            let lo = p * panel, size = min(extent, lo + panel) - lo
            if splitRows {
                gemm(transA: transA, transB: transB, m: size, n: n, k: k, alpha: alpha,
                     a: transA ? a + lo : a + lo * lda, lda: lda, b: b, ldb: ldb, beta: beta, c: c + lo * ldc, ldc: ldc, threads: 1)
            } else {
                gemm(transA: transA, transB: transB, m: m, n: size, k: k, alpha: alpha, a: a, lda: lda,
                     b: transB ? b + lo * ldb : b + lo, ldb: ldb, beta: beta, c: c + lo, ldc: ldc, threads: 1)
            }
        }
        return
    }
    if k == 0 {  // BLAS leaves C untouched when k = 0 only if beta = 1; make the empty product explicit
        for i in 0..<m { for j in 0..<n { c[i * ldc + j] *= beta } }
        return
    }
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
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
    precondition(sharedB || Array(b.shape.dropLast(2)) == batchShape,
                 "matmul batch dimensions differ: \(a.shape) vs \(b.shape)")
    var out = Tensor(shape: batchShape + [m, n])
    a.withUnsafeBufferPointer { pa in
        b.withUnsafeBufferPointer { pb in
            out.withUnsafeMutableBufferPointer { pc in
                for i in 0..<batch {
                    gemm(transA: transA, transB: transB, m: m, n: n, k: k,
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
