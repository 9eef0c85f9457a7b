// swift-format-ignore-file
// (Pointer closures are nested on one line each, so that the loop bodies keep one indentation level.)
import CKernels
import DNNLKernels

/// Multi-head scaled dot-product attention over packed projections.
///
/// qkv: [B, N, 3C] holding [q | k | v] per token, each split into H heads of C/H consecutive channels.
/// Output: [B, N, C] with heads concatenated in order (the input of the output projection).
/// Per (b, h): P = softmax(scale · q kᵀ) [N, N]; out = P v. Forward saves P for the backward pass.

/// What `attentionForward` saves for the backward pass: the attention probabilities [B, H, N, N], or, for sequences
/// computed in blocks of rows, nothing (the backward pass computes each block's probabilities again, bit for bit).
public struct AttentionSaved: Sendable {
    public var probabilities: Tensor?
    /// The rows of a block, when the probabilities are not kept.
    var rowBlock: Int = 0
}

/// Sequences longer than this run in blocks of 128 rows whose [128, N] scores stay in cache, when the products go to
/// oneDNN (bf16, or fp32 on the oneDNN backend).
let attentionWholeRows = 512

/// Forward. Long sequences (see `attentionWholeRows`) are processed in blocks of 128 rows whose scores stay in cache,
/// each thread taking whole (sample, head) pairs, and keep no [B, H, N, N] tensor even for training: the backward pass
/// computes the probabilities again (for N = 1568 and 6 heads, 59 MB not written and read back per block and sample).
/// Shorter sequences run whole, one (sample, head) pair at a time on each thread; training keeps their probabilities.
public func attentionForward(_ qkv: Tensor, heads: Int, scale: Float, saveForBackward: Bool = true) -> (Tensor, AttentionSaved?) {
    precondition(qkv.rank == 3 && qkv.shape[2] % (3 * heads) == 0, "attention: qkv \(qkv.shape) with \(heads) heads")
    let (b, n, c3) = (qkv.shape[0], qkv.shape[1], qkv.shape[2])
    let c = c3 / 3, hd = c / heads
    var out = Tensor(unfilled: [b, n, c])  // every head writes its columns of every row
    let precision = ComputePrecision.current  // task-local: read here, not on the worker threads
    let viaOneDNN = precision == .bf16 || MatrixBackend.fp32 == .oneDNN
    // Training without oneDNN keeps whole probabilities: the plain backward pass reads them.
    let rowBlock = n <= attentionWholeRows || (saveForBackward && !viaOneDNN) ? n : 128
    let keep = saveForBackward && rowBlock == n
    let blocks = (n + rowBlock - 1) / rowBlock, units = b * heads * blocks
    let threads = min(ComputeThreads.count, units)
    var probs = Tensor(unfilled: keep ? [b * heads, n, n] : [threads, rowBlock, n])
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
        // The dense per-head q, k and v of a (sample, head) pair, bf16 or fp32, or nil on the plain path.
        func denseHeads(_ pair: Int) -> (q: UnsafeRawPointer, k: UnsafeRawPointer, v: UnsafeRawPointer)? {
            let (bi, h) = (pair / heads, pair % heads)
            let offsets = (0..<3).map { ((bi * 3 + $0) * heads + h) * n * hd }
            if precision == .bf16, let d = pq16.baseAddress {
                return (UnsafeRawPointer(d + offsets[0]), UnsafeRawPointer(d + offsets[1]), UnsafeRawPointer(d + offsets[2]))
            }
            if denseFP32, let d = pqd.baseAddress {
                return (UnsafeRawPointer(d + offsets[0]), UnsafeRawPointer(d + offsets[1]), UnsafeRawPointer(d + offsets[2]))
            }
            return nil
        }
        // One block of rows of one pair, on thread t's scratch. With `packs` (Kᵀ and V of the pair in oneDNN's blocked
        // layout) both products read them; otherwise oneDNN rearranges K and V again for each block.
        func block(_ pair: Int, first: Int, t: Int, packs: (keys: OpaquePointer, values: OpaquePointer)?) {
            let rows = min(rowBlock, n - first)
            let (bi, h) = (pair / heads, pair % heads)
            let base = q0 + bi * n * c3 + h * hd
            let p = p0 + (keep ? pair * n * n : t * rowBlock * n)
            let o = o0 + (bi * n + first) * c + h * hd
            let target = pd.baseAddress! + t * scratch
            func place() { for r in 0..<rows { (o + r * c).update(from: target + r * hd, count: hd) } }
            if let dense = denseHeads(pair) {
                let bf16 = precision == .bf16, size = bf16 ? 2 : 4
                let q = dense.q + first * hd * size
                let scores: Bool
                if let packs {
                    scores = mvd_dnnl_matmul_packed(packs.keys, Int64(rows), q, Int64(hd), scale, nil, p, Int64(n),
                                                    bf16 ? Int32(MVD_PACKED_A_BF16) : 0) == 0
                } else if bf16 {
                    scores = mvd_dnnl_matmul_bf16(0, 1, Int64(rows), Int64(n), Int64(hd), scale, q.assumingMemoryBound(to: UInt16.self),
                                                  Int64(hd), dense.k.assumingMemoryBound(to: UInt16.self), Int64(hd), 0, p, Int64(n)) == 0
                } else {
                    scores = mvd_dnnl_matmul(0, 0, 1, Int64(rows), Int64(n), Int64(hd), scale, q.assumingMemoryBound(to: Float.self),
                                             Int64(hd), dense.k.assumingMemoryBound(to: Float.self), Int64(hd), 0, p, Int64(n)) == 0
                }
                if scores {
                    // In bf16 the softmax rounds P on its way out; the fp32 P is kept only for the backward pass.
                    let p16 = bf16 ? mvd_bf16_buffer(0, rows * n) : nil
                    if let p16 { mvd_softmax_rows_bf16(p, rows, n, p16, keep ? 1 : 0) } else { mvd_softmax_rows(p, rows, n) }
                    if bf16 && p16 == nil { return gemm(m: rows, n: hd, k: n, a: p, lda: n, b: base + 2 * c, ldb: c3, c: o, ldc: c, threads: 1, precision: precision) }
                    let probabilities = p16.map { UnsafeRawPointer($0) } ?? UnsafeRawPointer(p)
                    // The product goes to a dense block (the fast kernels write dense outputs), then into place.
                    let product: Bool
                    if let packs {
                        product = mvd_dnnl_matmul_packed(packs.values, Int64(rows), probabilities, Int64(n), 1, nil, target, Int64(hd),
                                                         bf16 ? Int32(MVD_PACKED_A_BF16) : 0) == 0
                    } else if bf16 {
                        product = mvd_dnnl_matmul_bf16(0, 0, Int64(rows), Int64(hd), Int64(n), 1, probabilities.assumingMemoryBound(to: UInt16.self),
                                                       Int64(n), dense.v.assumingMemoryBound(to: UInt16.self), Int64(hd), 0, target, Int64(hd)) == 0
                    } else {
                        product = mvd_dnnl_matmul(0, 0, 0, Int64(rows), Int64(hd), Int64(n), 1, p, Int64(n), dense.v.assumingMemoryBound(to: Float.self),
                                                  Int64(hd), 0, target, Int64(hd)) == 0
                    }
                    if product { return place() }
                    // bf16 → fp32 is exact, and the product below rounds P to the same bf16 values again.
                    if let p16, !keep { for i in 0..<rows * n { p[i] = Float(bitPattern: UInt32(p16[i]) << 16) } }
                    return gemm(m: rows, n: hd, k: n, a: p, lda: n, b: base + 2 * c, ldb: c3, c: o, ldc: c, threads: 1, precision: precision)
                }
            }
            gemm(transB: true, m: rows, n: n, k: hd, alpha: scale, a: base + first * c3, lda: c3, b: base + c, ldb: c3,
                 c: p, ldc: n, threads: 1, precision: precision)
            mvd_softmax_rows(p, rows, n)
            gemm(m: rows, n: hd, k: n, a: p, lda: n, b: base + 2 * c, ldb: c3, c: o, ldc: c, threads: 1, precision: precision)
        }
        // Blocks of rows: each thread takes whole pairs, packs their Kᵀ and V once (a copy of 0.1 ms against 1.5 ms of
        // rearranging them again for every block) and keeps them in its cache for all blocks. Training always takes
        // this order, the one its backward pass computes the probabilities again in.
        let pairs = b * heads
        if blocks > 1 && (pairs >= threads || saveForBackward) && denseHeads(0) != nil {
            parallelBlocks(threads) { t in
                for pair in stride(from: t, to: pairs, by: threads) {
                    let packs = packHeads(denseHeads(pair)!, n: n, hd: hd, bf16: precision == .bf16)
                    defer { if let packs { mvd_dnnl_packed_b_free(packs.keys); mvd_dnnl_packed_b_free(packs.values) } }
                    for first in stride(from: 0, to: n, by: rowBlock) { block(pair, first: first, t: t, packs: packs) }
                }
            }
        } else {
            parallelBlocks(threads) { t in
                for unit in stride(from: t, to: units, by: threads) {
                    block(unit / blocks, first: (unit % blocks) * rowBlock, t: t, packs: nil)
                }
            }
        }
    }}}}}}
    guard saveForBackward else { return (out, nil) }
    return (out, keep ? AttentionSaved(probabilities: probs) : AttentionSaved(probabilities: nil, rowBlock: rowBlock))
}

/// A dense per-head operand [N, hd] (bf16 or fp32, the product's type) packed as the right operand of products of row
/// blocks: as Xᵀ [hd, N] when `transposed`, else X [N, hd]. Nil when oneDNN refuses.
func packHead(_ source: UnsafeRawPointer, transposed: Bool, n: Int, hd: Int, bf16: Bool) -> OpaquePointer? {
    var status: Int32 = 0
    let (k, cols) = transposed ? (hd, n) : (n, hd)
    return bf16
        ? mvd_dnnl_pack_b_bf16(transposed ? 1 : 0, Int64(k), Int64(cols), source.assumingMemoryBound(to: UInt16.self), Int64(hd), &status)
        : mvd_dnnl_pack_b(0, transposed ? 1 : 0, Int64(k), Int64(cols), source.assumingMemoryBound(to: Float.self), Int64(hd), &status)
}

/// Kᵀ and V of one (sample, head) pair packed for the forward products; nil when oneDNN refuses either.
private func packHeads(_ dense: (q: UnsafeRawPointer, k: UnsafeRawPointer, v: UnsafeRawPointer), n: Int, hd: Int, bf16: Bool)
    -> (keys: OpaquePointer, values: OpaquePointer)?
{
    guard let keys = packHead(dense.k, transposed: true, n: n, hd: hd, bf16: bf16) else { return nil }
    guard let values = packHead(dense.v, transposed: false, n: n, hd: hd, bf16: bf16) else {
        mvd_dnnl_packed_b_free(keys)
        return nil
    }
    return (keys, values)
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
func denseHeads(_ x: Tensor, heads: Int, parts: Int) -> [Float] {
    [Float](unsafeUninitializedCapacity: x.count) { dst, count in
        forEachHeadSlice(x, heads: heads, parts: parts) { source, offset, n in (dst.baseAddress! + offset).update(from: source, count: n) }
        count = x.count
    }
}

/// The tensor's heads rounded to bf16 in the dense per-head layout [B, parts, H, N, hd] (see `forEachHeadSlice`).
func denseHeadsBF16(_ x: Tensor, heads: Int, parts: Int) -> [UInt16] {
    [UInt16](unsafeUninitializedCapacity: x.count) { dst, count in
        forEachHeadSlice(x, heads: heads, parts: parts) { source, offset, n in mvd_to_bf16(source, dst.baseAddress! + offset, n) }
        count = x.count
    }
}

/// One (sample, head) pair of `attentionBackward` through oneDNN, from dense per-head operands made once for every
/// pair (q, then k and v at `stride` elements apart; dO; all [N, hd]): bf16 ones rounded by `denseHeadsBF16`, or fp32
/// copies by `denseHeads` (strided slices get oneDNN's generic kernel). Each product writes a dense block (`target`,
/// [N, hd]) copied into place. In bf16, dS is rounded by the softmax backward itself, once for both of its products.
/// dS = P ⊙ (dP − rowsum(dP ⊙ P)) of `rows` rows of `n`: in bf16 rounded into the thread's bf16 buffer `slot`, in
/// fp32 in place in dP. Nil when the buffer cannot be had.
func softmaxBackwardRows(
    _ dp: UnsafeMutablePointer<Float>, _ p: UnsafePointer<Float>, rows: Int, n: Int, bf16: Bool, slot: Int32
) -> UnsafeRawPointer? {
    guard bf16 else {
        mvd_softmax_backward_rows(dp, p, rows, n)
        return UnsafeRawPointer(dp)
    }
    guard let ds16 = mvd_bf16_buffer(slot, rows * n) else { return nil }
    mvd_softmax_backward_rows_bf16(dp, p, rows, n, ds16)
    return UnsafeRawPointer(ds16)
}

/// False when oneDNN refused a product; the caller then computes the pair again the plain way.
func attentionBackwardPair(
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
    guard let dS = softmaxBackwardRows(ds, p, rows: n, n: n, bf16: bf16, slot: 0) else { return false }
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
    guard let probabilities = saved.probabilities else {
        return blockedAttentionBackward(dOut, qkv: qkv, heads: heads, scale: scale, rowBlock: saved.rowBlock)
    }
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
    probabilities.withUnsafeBufferPointer { pp in dqkv.withUnsafeMutableBufferPointer { pd in
    scratch.withUnsafeMutableBufferPointer { ps in targets.withUnsafeMutableBufferPointer { pt in
    qkv16.withUnsafeBufferPointer { pq16 in dOut16.withUnsafeBufferPointer { pdo16 in
    qkvDense.withUnsafeBufferPointer { pqd in dOutDense.withUnsafeBufferPointer { pdod in
        let q0 = pq.baseAddress!, do0 = pdo.baseAddress!, p0 = pp.baseAddress!, d0 = pd.baseAddress!, s0 = ps.baseAddress!
        parallelBlocks(threads) { t in
            let ds = s0 + t * n * n
            var pair = t
            while pair < pairs {
                let (bi, h) = (pair / heads, pair % heads)
                let q = q0 + bi * n * c3 + h * hd
                let dq = d0 + bi * n * c3 + h * hd
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
                plainPairBackward(n: n, hd: hd, c: c, scale: scale, q: q, dO: dO, p: p, ds: ds, dq: dq, precision: precision)
                pair += threads
            }
        }
    }}}}}}}}}}
    return dqkv
}

/// One (sample, head) pair of the backward pass through `gemm`, on strided slices: q (k and v at c and 2c after it,
/// row stride 3c), dO (row stride c), P [N, N]; dq receives dq, dk and dv likewise. `ds` is [N, N] scratch.
func plainPairBackward(
    n: Int, hd: Int, c: Int, scale: Float, q: UnsafePointer<Float>, dO: UnsafePointer<Float>, p: UnsafePointer<Float>,
    ds: UnsafeMutablePointer<Float>, dq: UnsafeMutablePointer<Float>, precision: Precision
) {
    let c3 = 3 * c, (k, v, dk, dv) = (q + c, q + 2 * c, dq + c, dq + 2 * c)
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
}
