// swift-format-ignore-file
// (Pointer closures are nested on one line each, so that the loop bodies keep one indentation level.)
import CKernels
import DNNLKernels

/// Multi-head scaled dot-product attention over packed projections.
///
/// qkv: [B, N, 3C] holding [q | k | v] per token, each split into H heads of C/H consecutive channels.
/// Output: [B, N, C] with heads concatenated in order (the input of the output projection).
/// Per (b, h): P = softmax(scale · q kᵀ) [N, N]; out = P v. Forward saves P for the backward pass.

/// What `attentionForward` saves: the attention probabilities [B, H, N, N].
public struct AttentionSaved: Sendable {
    public var probabilities: Tensor
}

/// Forward. When `saveForBackward` is false (inference), no [B, H, N, N] tensor is kept; long sequences (N > 512) are processed in
/// blocks of 128 rows whose [128, N] scores stay in cache, spread over the threads as (sample, head, block) units.
/// Training keeps every head's probabilities; the (sample, head) pairs then run in parallel.
public func attentionForward(_ qkv: Tensor, heads: Int, scale: Float, saveForBackward: Bool = true) -> (Tensor, AttentionSaved?) {
    precondition(qkv.rank == 3 && qkv.shape[2] % (3 * heads) == 0, "attention: qkv \(qkv.shape) with \(heads) heads")
    let (b, n, c3) = (qkv.shape[0], qkv.shape[1], qkv.shape[2])
    let c = c3 / 3, hd = c / heads
    var out = Tensor(unfilled: [b, n, c])  // every head writes its columns of every row
    let rowBlock = saveForBackward || n <= 512 ? n : 128
    let blocks = (n + rowBlock - 1) / rowBlock, units = b * heads * blocks
    let threads = min(ComputeThreads.count, units)
    var probs = Tensor(unfilled: saveForBackward ? [b * heads, n, n] : [threads, rowBlock, n])
    let precision = ComputePrecision.current  // task-local: read here, not on the worker threads
    // In bf16, q, k and v are rounded once for every head and block, into dense per-head blocks [B, 3, H, N, hd]:
    // oneDNN's fast (brgemm, AMX) kernels take dense operands only, and rounding K again for each block of rows cost
    // more than the bf16 products saved.
    var qkv16 = [UInt16]()
    if precision == .bf16 {
        qkv16 = [UInt16](repeating: 0, count: qkv.count)
        qkv16.withUnsafeMutableBufferPointer { dst in
            forEachHeadSlice(qkv, heads: heads) { source, offset, count in mvd_to_bf16(source, dst.baseAddress! + offset, count) }
        }
    }
    // In fp32 the same dense per-head layout, copied: the strided slices of qkv got oneDNN's generic gemm.
    var qkvDense = [Float]()
    if precision == .fp32 && MatrixBackend.fp32 == .oneDNN {
        qkvDense = [Float](repeating: 0, count: qkv.count)
        qkvDense.withUnsafeMutableBufferPointer { dst in
            forEachHeadSlice(qkv, heads: heads) { source, offset, count in (dst.baseAddress! + offset).update(from: source, count: count) }
        }
    }
    let denseFP32 = !qkvDense.isEmpty  // an empty array's buffer may still have an address
    let scratch = rowBlock * hd
    var dense = [Float](repeating: 0, count: threads * max(scratch, 1))
    qkv.withUnsafeBufferPointer { pq in out.withUnsafeMutableBufferPointer { po in probs.withUnsafeMutableBufferPointer { pp in
    qkv16.withUnsafeBufferPointer { pq16 in dense.withUnsafeMutableBufferPointer { pd in qkvDense.withUnsafeBufferPointer { pqd in
        let q0 = pq.baseAddress!, o0 = po.baseAddress!, p0 = pp.baseAddress!
        parallelBlocks(threads) { t in
            var unit = t
            while unit < units {
                let pair = unit / blocks, first = (unit % blocks) * rowBlock, rows = min(rowBlock, n - first)
                let (bi, h) = (pair / heads, pair % heads)
                let base = q0 + bi * n * c3 + h * hd
                let p = p0 + (saveForBackward ? pair * n * n : t * rowBlock * n)
                let o = o0 + (bi * n + first) * c + h * hd
                defer { unit += threads }
                if precision == .bf16, let b16 = pq16.baseAddress {
                    let q16 = b16 + ((bi * 3 + 0) * heads + h) * n * hd, k16 = b16 + ((bi * 3 + 1) * heads + h) * n * hd
                    let v16 = b16 + ((bi * 3 + 2) * heads + h) * n * hd
                    if mvd_dnnl_matmul_bf16(0, 1, Int64(rows), Int64(n), Int64(hd), scale, q16 + first * hd, Int64(hd),
                                            k16, Int64(hd), 0, p, Int64(n)) == 0 {
                        // The softmax rounds P to bf16 on its way out; the fp32 P is kept only for the backward pass.
                        let p16 = mvd_bf16_buffer(0, rows * n)
                        if let p16 { mvd_softmax_rows_bf16(p, rows, n, p16, saveForBackward ? 1 : 0) } else { mvd_softmax_rows(p, rows, n) }
                        // The product goes to a dense block (the fast kernels write dense outputs), then into place.
                        let target = pd.baseAddress! + t * scratch
                        if let p16, mvd_dnnl_matmul_bf16(0, 0, Int64(rows), Int64(hd), Int64(n), 1, p16, Int64(n), v16, Int64(hd),
                                                         0, target, Int64(hd)) == 0 {
                            for r in 0..<rows { (o + r * c).update(from: target + r * hd, count: hd) }
                            continue
                        }
                        // bf16 → fp32 is exact, and the product below rounds P to the same bf16 values again.
                        if let p16, !saveForBackward { for i in 0..<rows * n { p[i] = Float(bitPattern: UInt32(p16[i]) << 16) } }
                        gemm(m: rows, n: hd, k: n, a: p, lda: n, b: base + 2 * c, ldb: c3, c: o, ldc: c, threads: 1, precision: precision)
                        continue
                    }
                }
                if denseFP32, let d = pqd.baseAddress {
                    let qd = d + ((bi * 3 + 0) * heads + h) * n * hd, kd = d + ((bi * 3 + 1) * heads + h) * n * hd
                    let vd = d + ((bi * 3 + 2) * heads + h) * n * hd, target = pd.baseAddress! + t * scratch
                    if mvd_dnnl_matmul(0, 0, 1, Int64(rows), Int64(n), Int64(hd), scale, qd + first * hd, Int64(hd), kd, Int64(hd),
                                       0, p, Int64(n)) == 0 {
                        mvd_softmax_rows(p, rows, n)
                        if mvd_dnnl_matmul(0, 0, 0, Int64(rows), Int64(hd), Int64(n), 1, p, Int64(n), vd, Int64(hd), 0, target,
                                           Int64(hd)) == 0 {
                            for r in 0..<rows { (o + r * c).update(from: target + r * hd, count: hd) }
                            continue
                        }
                        gemm(m: rows, n: hd, k: n, a: p, lda: n, b: base + 2 * c, ldb: c3, c: o, ldc: c, threads: 1, precision: precision)
                        continue
                    }
                }
                gemm(transB: true, m: rows, n: n, k: hd, alpha: scale, a: base + first * c3, lda: c3, b: base + c, ldb: c3,
                     c: p, ldc: n, threads: 1, precision: precision)
                mvd_softmax_rows(p, rows, n)
                gemm(m: rows, n: hd, k: n, a: p, lda: n, b: base + 2 * c, ldb: c3, c: o, ldc: c, threads: 1, precision: precision)
            }
        }
    }}}}}}
    return (out, saveForBackward ? AttentionSaved(probabilities: probs) : nil)
}

/// Calls `move(source, offset, hd)` for each head's slice of q, k and v of every token of qkv [B, N, 3C] (or of the
/// one part of a [B, N, C] tensor when `parts` is 1): the `hd` values at `source` belong at `offset` of the dense
/// per-head layout [B, parts, H, N, hd]. Tokens run in parallel.
private func forEachHeadSlice(_ qkv: Tensor, heads: Int, parts: Int = 3, _ move: (UnsafePointer<Float>, Int, Int) -> Void) {
    let (b, n, c3) = (qkv.shape[0], qkv.shape[1], qkv.shape[2])
    let c = c3 / parts, hd = c / heads
    qkv.withUnsafeBufferPointer { src in
        let s0 = src.baseAddress!
        parallelRanges(b * n, grain: rowGrain(rowCost: c3)) { rows in
            for row in rows {
                let (bi, i) = row.quotientAndRemainder(dividingBy: n)
                for part in 0..<parts {
                    for h in 0..<heads { move(s0 + row * c3 + part * c + h * hd, (((bi * parts + part) * heads + h) * n + i) * hd, hd) }
                }
            }
        }
    }
}

/// The tensor's heads copied into the dense per-head layout [B, parts, H, N, hd] (see `forEachHeadSlice`).
private func denseHeads(_ x: Tensor, heads: Int, parts: Int) -> [Float] {
    [Float](unsafeUninitializedCapacity: x.count) { dst, count in
        forEachHeadSlice(x, heads: heads, parts: parts) { source, offset, n in (dst.baseAddress! + offset).update(from: source, count: n) }
        count = x.count
    }
}

/// The tensor's heads rounded to bf16 in the dense per-head layout [B, parts, H, N, hd] (see `forEachHeadSlice`).
private func denseHeadsBF16(_ x: Tensor, heads: Int, parts: Int) -> [UInt16] {
    [UInt16](unsafeUninitializedCapacity: x.count) { dst, count in
        forEachHeadSlice(x, heads: heads, parts: parts) { source, offset, n in mvd_to_bf16(source, dst.baseAddress! + offset, n) }
        count = x.count
    }
}

/// One (sample, head) pair of `attentionBackward` through oneDNN, from dense per-head operands made once for every
/// pair (q, then k and v at `stride` elements apart; dO; all [N, hd]): bf16 ones rounded by `denseHeadsBF16`, or fp32
/// copies by `denseHeads` (strided slices get oneDNN's generic kernel). Each product writes a dense block (`target`,
/// [N, hd]) copied into place. In bf16, dS is rounded by the softmax backward itself, once for both of its products.
/// False when oneDNN refused a product; the caller then computes the pair again the plain way.
private func attentionBackwardPair(
    bf16: Bool, n: Int, hd: Int, scale: Float, q: UnsafeRawPointer, stride: Int, dO: UnsafeRawPointer,
    p: UnsafePointer<Float>, ds: UnsafeMutablePointer<Float>, target: UnsafeMutablePointer<Float>,
    dq: UnsafeMutablePointer<Float>, ldd: Int
) -> Bool {
    let size = bf16 ? 2 : 4
    let (k, v) = (q + stride * size, q + 2 * stride * size)
    let (n64, hd64) = (Int64(n), Int64(hd))
    func product(
        _ transA: Int32, _ transB: Int32, _ m: Int64, _ cols: Int64, _ depth: Int64, _ alpha: Float, _ a: UnsafeRawPointer, _ lda: Int64,
        _ b: UnsafeRawPointer, _ ldb: Int64, _ c: UnsafeMutablePointer<Float>, _ ldc: Int64
    ) -> Bool {
        if bf16 {
            let (a16, b16) = (a.assumingMemoryBound(to: UInt16.self), b.assumingMemoryBound(to: UInt16.self))
            return mvd_dnnl_matmul_bf16(transA, transB, m, cols, depth, alpha, a16, lda, b16, ldb, 0, c, ldc) == 0
        }
        let (a32, b32) = (a.assumingMemoryBound(to: Float.self), b.assumingMemoryBound(to: Float.self))
        return mvd_dnnl_matmul(0, transA, transB, m, cols, depth, alpha, a32, lda, b32, ldb, 0, c, ldc) == 0
    }
    func place(_ into: UnsafeMutablePointer<Float>) { for r in 0..<n { (into + r * ldd).update(from: target + r * hd, count: hd) } }
    let probabilities: UnsafeRawPointer? = bf16 ? mvd_bf16_pack(0, p, n64, n64, n64).map { UnsafeRawPointer($0) } : UnsafeRawPointer(p)
    guard let probabilities, product(1, 0, n64, hd64, n64, 1, probabilities, n64, dO, hd64, target, hd64) else { return false }
    place(dq + 2 * (ldd / 3))  // dV = Pᵀ dO
    guard product(0, 1, n64, n64, hd64, 1, dO, hd64, v, hd64, ds, n64) else { return false }  // dP = dO Vᵀ
    let dS: UnsafeRawPointer
    if bf16 {
        guard let ds16 = mvd_bf16_buffer(0, n * n) else { return false }
        mvd_softmax_backward_rows_bf16(ds, p, n, n, ds16)
        dS = UnsafeRawPointer(ds16)
    } else {
        mvd_softmax_backward_rows(ds, p, n, n)
        dS = UnsafeRawPointer(ds)
    }
    guard product(0, 0, n64, hd64, n64, scale, dS, n64, k, hd64, target, hd64) else { return false }
    place(dq)  // dQ = scale · dS K
    guard product(1, 0, n64, hd64, n64, scale, dS, n64, q, hd64, target, hd64) else { return false }
    place(dq + ldd / 3)  // dK = scale · dSᵀ Q
    return true
}

/// Backward. dOut: [B, N, C]. Returns dqkv: [B, N, 3C].
///
/// dV = Pᵀ dO;  dP = dO Vᵀ;  dS = P ⊙ (dP − rowsum(dP ⊙ P));  dQ = scale · dS K;  dK = scale · dSᵀ Q.
public func attentionBackward(_ dOut: Tensor, qkv: Tensor, saved: AttentionSaved, heads: Int, scale: Float) -> Tensor {
    let (b, n, c3) = (qkv.shape[0], qkv.shape[1], qkv.shape[2])
    let c = c3 / 3, hd = c / heads
    precondition(dOut.shape == [b, n, c], "attention backward: dOut \(dOut.shape) vs qkv \(qkv.shape)")
    var dqkv = Tensor(unfilled: qkv.shape)  // dq, dk and dv of every head are products with beta = 0
    let pairs = b * heads, threads = min(ComputeThreads.count, pairs)
    var scratch = [Float](unsafeUninitializedCapacity: threads * n * n) { _, count in count = threads * n * n }
    let precision = ComputePrecision.current  // task-local: read here, not on the worker threads
    // In bf16, q, k, v and dO are rounded once into dense per-head blocks (as in the forward pass).
    let qkv16 = precision == .bf16 ? denseHeadsBF16(qkv, heads: heads, parts: 3) : []
    let dOut16 = precision == .bf16 ? denseHeadsBF16(dOut, heads: heads, parts: 1) : []
    // In fp32 through oneDNN, dense copies of the same (strided slices would get oneDNN's generic kernel).
    let denseFP32 = precision == .fp32 && MatrixBackend.fp32 == .oneDNN
    let qkvDense = denseFP32 ? denseHeads(qkv, heads: heads, parts: 3) : []
    let dOutDense = denseFP32 ? denseHeads(dOut, heads: heads, parts: 1) : []
    let targetCount = precision == .bf16 || denseFP32 ? threads * n * hd : 0
    var targets = [Float](unsafeUninitializedCapacity: targetCount) { _, count in count = targetCount }
    qkv.withUnsafeBufferPointer { pq in dOut.withUnsafeBufferPointer { pdo in
    saved.probabilities.withUnsafeBufferPointer { pp in dqkv.withUnsafeMutableBufferPointer { pd in
    scratch.withUnsafeMutableBufferPointer { ps in targets.withUnsafeMutableBufferPointer { pt in
    qkv16.withUnsafeBufferPointer { pq16 in dOut16.withUnsafeBufferPointer { pdo16 in
    qkvDense.withUnsafeBufferPointer { pqd in dOutDense.withUnsafeBufferPointer { pdod in
        let q0 = pq.baseAddress!, do0 = pdo.baseAddress!, p0 = pp.baseAddress!, d0 = pd.baseAddress!, s0 = ps.baseAddress!
        parallelBlocks(threads) { t in
            let ds = s0 + t * n * n
            var pair = t
            while pair < pairs {
                let (bi, h) = (pair / heads, pair % heads)
                let q = q0 + bi * n * c3 + h * hd, k = q + c, v = q + 2 * c
                let dq = d0 + bi * n * c3 + h * hd, dk = dq + c, dv = dq + 2 * c
                let dO = do0 + bi * n * c + h * hd
                let p = p0 + pair * n * n
                // (an empty array's buffer may still have an address: the precision decides)
                let dense: (UnsafeRawPointer, UnsafeRawPointer)? =
                    precision == .bf16 ? pq16.baseAddress.flatMap { q in pdo16.baseAddress.map { (UnsafeRawPointer(q), UnsafeRawPointer($0)) } }
                    : denseFP32 ? pqd.baseAddress.flatMap { q in pdod.baseAddress.map { (UnsafeRawPointer(q), UnsafeRawPointer($0)) } } : nil
                let size = precision == .bf16 ? 2 : 4
                if let (q0, dO0) = dense, let target = pt.baseAddress,
                   attentionBackwardPair(bf16: precision == .bf16, n: n, hd: hd, scale: scale, q: q0 + ((bi * 3) * heads + h) * n * hd * size,
                                         stride: heads * n * hd, dO: dO0 + (bi * heads + h) * n * hd * size, p: p, ds: ds,
                                         target: target + t * n * hd, dq: dq, ldd: c3) {
                    pair += threads
                    continue
                }
                gemm(transA: true, m: n, n: hd, k: n, a: p, lda: n, b: dO, ldb: c, c: dv, ldc: c3, threads: 1, precision: precision)
                gemm(transB: true, m: n, n: n, k: hd, a: dO, lda: c, b: v, ldb: c3, c: ds, ldc: n, threads: 1, precision: precision)
                for r in 0..<n {
                    let g = ds + r * n, s = p + r * n
                    var dot: Float = 0
                    for j in 0..<n { dot += g[j] * s[j] }
                    for j in 0..<n { g[j] = s[j] * (g[j] - dot) }
                }
                gemm(m: n, n: hd, k: n, alpha: scale, a: ds, lda: n, b: k, ldb: c3, c: dq, ldc: c3, threads: 1, precision: precision)
                gemm(transA: true, m: n, n: hd, k: n, alpha: scale, a: ds, lda: n, b: q, ldb: c3, c: dk, ldc: c3, threads: 1, precision: precision)
                pair += threads
            }
        }
    }}}}}}}}}}
    return dqkv
}
