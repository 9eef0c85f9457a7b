// swift-format-ignore-file
// (Pointer closures are nested on one line each, so that the loop bodies keep one indentation level.)
import CKernels
import DNNLKernels

/// The backward pass of attention over a sequence the forward pass computed in blocks of `rowBlock` rows without
/// keeping the probabilities (see `attentionForward`). Each thread takes whole (sample, head) pairs; for each block of
/// rows it computes the block's scores and softmax again, with the same products on the same operands as the forward
/// pass (so the same bits), then
///
///   dV += P_iᵀ dO_i;  dP_i = dO_i Vᵀ;  dS_i = P_i ⊙ (dP_i − rowsum(dP_i ⊙ P_i));  dQ_i = scale · dS_i K;
///   dK += scale · dS_iᵀ Q_i,
///
/// with every [rows, N] block in the thread's cache. dK and dV are summed over the blocks in order, so the result
/// does not depend on the thread count. Operands are the dense per-head blocks of the forward pass (bf16 rounded once,
/// or fp32 copies), and Kᵀ, Vᵀ and K are packed once per pair. Where oneDNN refuses a product, the pair is computed the
/// plain way, its probabilities recomputed block by block as the forward's plain path computes them.
func blockedAttentionBackward(_ dOut: Tensor, qkv: Tensor, heads: Int, scale: Float, rowBlock: Int) -> Tensor {
    let (b, n, c3) = (qkv.shape[0], qkv.shape[1], qkv.shape[2])
    let c = c3 / 3, hd = c / heads
    var dqkv = Tensor(unfilled: qkv.shape)  // every pair writes its columns of every row
    let pairs = b * heads, threads = min(ComputeThreads.count, pairs)
    let precision = ComputePrecision.current  // task-local: read here, not on the worker threads
    let bf16 = precision == .bf16, size = bf16 ? 2 : 4
    let qkv16 = bf16 ? denseHeadsBF16(qkv, heads: heads, parts: 3) : []
    let dOut16 = bf16 ? denseHeadsBF16(dOut, heads: heads, parts: 1) : []
    let qkvDense = bf16 ? [] : denseHeads(qkv, heads: heads, parts: 3)
    let dOutDense = bf16 ? [] : denseHeads(dOut, heads: heads, parts: 1)
    // Per thread: the block's probabilities and their gradient [rowBlock, N], a dense dQ block, and dK and dV sums.
    let perThread = 2 * rowBlock * n + rowBlock * hd + 2 * n * hd
    var scratch = [Float](unsafeUninitializedCapacity: threads * perThread) { _, count in count = threads * perThread }
    qkv.withUnsafeBufferPointer { pq in dOut.withUnsafeBufferPointer { pdo in dqkv.withUnsafeMutableBufferPointer { pd in
    scratch.withUnsafeMutableBufferPointer { ps in qkv16.withUnsafeBufferPointer { pq16 in dOut16.withUnsafeBufferPointer { pdo16 in
    qkvDense.withUnsafeBufferPointer { pqd in dOutDense.withUnsafeBufferPointer { pdod in
        // (an empty array's buffer may still have an address: the precision decides)
        let denseQKV = bf16 ? UnsafeRawPointer(pq16.baseAddress!) : UnsafeRawPointer(pqd.baseAddress!)
        let denseDO = bf16 ? UnsafeRawPointer(pdo16.baseAddress!) : UnsafeRawPointer(pdod.baseAddress!)
        parallelBlocks(threads) { t in
            let s = ps.baseAddress! + t * perThread, dp = s + rowBlock * n, target = dp + rowBlock * n
            let dkSum = target + rowBlock * hd, dvSum = dkSum + n * hd
            // The whole pair's P and dS [N, N], for pairs whose blocked products oneDNN refuses (made on first need).
            var p = [Float](), ds = [Float](), whole = [Float]()
            for pair in stride(from: t, to: pairs, by: threads) {
                let (bi, h) = (pair / heads, pair % heads)
                let q = denseQKV + ((bi * 3 + 0) * heads + h) * n * hd * size, k = q + heads * n * hd * size
                let v = k + heads * n * hd * size, dO = denseDO + (bi * heads + h) * n * hd * size
                let dq = pd.baseAddress! + bi * n * c3 + h * hd
                let done = blockedPair(bf16: bf16, n: n, hd: hd, rowBlock: rowBlock, scale: scale, q: q, k: k, v: v, dO: dO,
                                       s: s, dp: dp, target: target, dkSum: dkSum, dvSum: dvSum, dq: dq, ldd: c3)
                if done { continue }
                if p.isEmpty {
                    p = [Float](unsafeUninitializedCapacity: n * n) { _, count in count = n * n }
                    ds = [Float](unsafeUninitializedCapacity: n * n) { _, count in count = n * n }
                    whole = [Float](unsafeUninitializedCapacity: n * hd) { _, count in count = n * hd }
                }
                // Without packs (oneDNN without its blocked kernels, e.g. on AVX2): P block by block with the forward's
                // unpacked products on the same dense operands (so its bits), then the pair's products on them whole.
                let dense = p.withUnsafeMutableBufferPointer { pp in ds.withUnsafeMutableBufferPointer { pds in whole.withUnsafeMutableBufferPointer { pw in
                    denseScores(bf16: bf16, n: n, hd: hd, rowBlock: rowBlock, scale: scale, q: q, k: k, into: pp.baseAddress!)
                        && attentionBackwardPair(bf16: bf16, n: n, hd: hd, scale: scale, q: q, stride: heads * n * hd, dO: dO,
                                                 p: pp.baseAddress!, ds: pds.baseAddress!, target: pw.baseAddress!, dq: dq, ldd: c3)
                }}}
                if dense { continue }
                // The plain way: P computed as the forward's plain path does, block by block, then the whole pair.
                let qs = pq.baseAddress! + bi * n * c3 + h * hd
                p.withUnsafeMutableBufferPointer { pp in ds.withUnsafeMutableBufferPointer { pds in
                    for first in stride(from: 0, to: n, by: rowBlock) {
                        let rows = min(rowBlock, n - first), block = pp.baseAddress! + first * n
                        gemm(transB: true, m: rows, n: n, k: hd, alpha: scale, a: qs + first * c3, lda: c3, b: qs + c, ldb: c3,
                             c: block, ldc: n, threads: 1, precision: precision)
                        mvd_softmax_rows(block, rows, n)
                    }
                    plainPairBackward(n: n, hd: hd, c: c, scale: scale, q: qs, dO: pdo.baseAddress! + bi * n * c + h * hd,
                                      p: pp.baseAddress!, ds: pds.baseAddress!, dq: dq, precision: precision)
                }}
            }
        }
    }}}}}}}}
    return dqkv
}

/// A pair's probabilities P [N, N] into `p`, block by block of `rowBlock` rows, computed as `attentionForward`'s
/// unpacked dense path computes them (the same product on the same operands, then the same softmax), so with its
/// bits. False when oneDNN refuses a product.
private func denseScores(
    bf16: Bool, n: Int, hd: Int, rowBlock: Int, scale: Float, q: UnsafeRawPointer, k: UnsafeRawPointer,
    into p: UnsafeMutablePointer<Float>
) -> Bool {
    let size = bf16 ? 2 : 4
    for first in stride(from: 0, to: n, by: rowBlock) {
        let rows = min(rowBlock, n - first), block = p + first * n, qi = q + first * hd * size
        let scores =
            bf16
            ? mvd_dnnl_matmul_bf16(0, 1, Int64(rows), Int64(n), Int64(hd), scale, qi.assumingMemoryBound(to: UInt16.self), Int64(hd),
                                   k.assumingMemoryBound(to: UInt16.self), Int64(hd), 0, block, Int64(n)) == 0
            : mvd_dnnl_matmul(0, 0, 1, Int64(rows), Int64(n), Int64(hd), scale, qi.assumingMemoryBound(to: Float.self), Int64(hd),
                              k.assumingMemoryBound(to: Float.self), Int64(hd), 0, block, Int64(n)) == 0
        guard scores else { return false }
        mvd_softmax_rows(block, rows, n)  // the fp32 softmax is the forward's; bf16 rounds it only on the way out
    }
    return true
}

/// One pair through oneDNN (see `blockedAttentionBackward`); false when a pack or a product was refused, and then the
/// caller's plain path writes all of the pair's dq, dk and dv again.
private func blockedPair(
    bf16: Bool, n: Int, hd: Int, rowBlock: Int, scale: Float, q: UnsafeRawPointer, k: UnsafeRawPointer,
    v: UnsafeRawPointer, dO: UnsafeRawPointer, s: UnsafeMutablePointer<Float>, dp: UnsafeMutablePointer<Float>,
    target: UnsafeMutablePointer<Float>, dkSum: UnsafeMutablePointer<Float>, dvSum: UnsafeMutablePointer<Float>,
    dq: UnsafeMutablePointer<Float>, ldd: Int
) -> Bool {
    let size = bf16 ? 2 : 4, flags = bf16 ? Int32(MVD_PACKED_A_BF16) : 0
    let keysT = packHead(k, transposed: true, n: n, hd: hd, bf16: bf16)
    let valuesT = packHead(v, transposed: true, n: n, hd: hd, bf16: bf16)
    let keys = packHead(k, transposed: false, n: n, hd: hd, bf16: bf16)
    defer { for pack in [keysT, valuesT, keys] { if let pack { mvd_dnnl_packed_b_free(pack) } } }
    guard let keysT, let valuesT, let keys else { return false }
    let (n64, hd64) = (Int64(n), Int64(hd))
    // C [n, hd] (+)= alpha · Aᵀ B, A [rows, n] and B [rows, hd] dense: the sums of dK and dV over blocks.
    func accumulate(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, rows: Int, alpha: Float, first: Bool, into c: UnsafeMutablePointer<Float>) -> Bool {
        let beta: Float = first ? 0 : 1
        if bf16 {
            return mvd_dnnl_matmul_bf16(1, 0, n64, hd64, Int64(rows), alpha, a.assumingMemoryBound(to: UInt16.self), n64,
                                        b.assumingMemoryBound(to: UInt16.self), hd64, beta, c, hd64) == 0
        }
        return mvd_dnnl_matmul(0, 1, 0, n64, hd64, Int64(rows), alpha, a.assumingMemoryBound(to: Float.self), n64,
                               b.assumingMemoryBound(to: Float.self), hd64, beta, c, hd64) == 0
    }
    for first in stride(from: 0, to: n, by: rowBlock) {
        let rows = min(rowBlock, n - first), rows64 = Int64(rows), isFirst = first == 0
        let qi = q + first * hd * size, dOi = dO + first * hd * size
        // P_i, as the forward pass computed it (its fp32 values kept here for the softmax backward).
        guard mvd_dnnl_matmul_packed(keysT, rows64, qi, hd64, scale, nil, s, n64, flags) == 0 else { return false }
        var p = UnsafeRawPointer(s)
        if bf16 {
            guard let p16 = mvd_bf16_buffer(0, rows * n) else { return false }
            mvd_softmax_rows_bf16(s, rows, n, p16, 1)
            p = UnsafeRawPointer(p16)
        } else {
            mvd_softmax_rows(s, rows, n)
        }
        guard accumulate(p, dOi, rows: rows, alpha: 1, first: isFirst, into: dvSum) else { return false }
        guard mvd_dnnl_matmul_packed(valuesT, rows64, dOi, hd64, 1, nil, dp, n64, flags) == 0 else { return false }
        guard let dS = softmaxBackwardRows(dp, s, rows: rows, n: n, bf16: bf16, slot: 1) else { return false }
        guard mvd_dnnl_matmul_packed(keys, rows64, dS, n64, scale, nil, target, hd64, flags) == 0 else { return false }
        for r in 0..<rows { (dq + (first + r) * ldd).update(from: target + r * hd, count: hd) }
        guard accumulate(dS, qi, rows: rows, alpha: scale, first: isFirst, into: dkSum) else { return false }
    }
    let third = ldd / 3
    for r in 0..<n {
        (dq + r * ldd + third).update(from: dkSum + r * hd, count: hd)
        (dq + r * ldd + 2 * third).update(from: dvSum + r * hd, count: hd)
    }
    return true
}
