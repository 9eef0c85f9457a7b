/// Multi-head scaled dot-product attention over packed projections.
///
/// qkv: [B, N, 3C] holding [q | k | v] per token, each split into H heads of C/H consecutive channels.
/// Output: [B, N, C] with heads concatenated in order (the input of the output projection).
/// Per (b, h): P = softmax(scale · q kᵀ) [N, N]; out = P v. Forward saves P for the backward pass.

/// What `attentionForward` saves: the attention probabilities [B, H, N, N].
public struct AttentionSaved: Sendable {
    public var probabilities: Tensor
}

/// Forward. When `saveForBackward` is false (inference), no [B, H, N, N] tensor is kept.
public func attentionForward(_ qkv: Tensor, heads: Int, scale: Float, saveForBackward: Bool = true) -> (Tensor, AttentionSaved?) {
    precondition(qkv.rank == 3 && qkv.shape[2] % (3 * heads) == 0, "attention: qkv \(qkv.shape) with \(heads) heads")
    let (b, n, c3) = (qkv.shape[0], qkv.shape[1], qkv.shape[2])
    let c = c3 / 3, hd = c / heads
    var out = Tensor(shape: [b, n, c])
    var probs = Tensor(shape: saveForBackward ? [b, heads, n, n] : [n, n])
    qkv.withUnsafeBufferPointer { pq in out.withUnsafeMutableBufferPointer { po in probs.withUnsafeMutableBufferPointer { pp in
        for bi in 0..<b {
            for h in 0..<heads {
                let base = pq.baseAddress! + bi * n * c3 + h * hd
                let p = pp.baseAddress! + (saveForBackward ? (bi * heads + h) * n * n : 0)
                gemm(transB: true, m: n, n: n, k: hd, alpha: scale, a: base, lda: c3, b: base + c, ldb: c3,
                     c: p, ldc: n)
                softmaxRowsInPlace(p, rows: n, cols: n)
                gemm(m: n, n: hd, k: n, a: p, lda: n, b: base + 2 * c, ldb: c3,
                     c: po.baseAddress! + bi * n * c + h * hd, ldc: c)
            }
        }
    }}}
    return (out, saveForBackward ? AttentionSaved(probabilities: probs) : nil)
}

/// Backward. dOut: [B, N, C]. Returns dqkv: [B, N, 3C].
///
/// dV = Pᵀ dO;  dP = dO Vᵀ;  dS = P ⊙ (dP − rowsum(dP ⊙ P));  dQ = scale · dS K;  dK = scale · dSᵀ Q.
public func attentionBackward(_ dOut: Tensor, qkv: Tensor, saved: AttentionSaved, heads: Int, scale: Float) -> Tensor {
    let (b, n, c3) = (qkv.shape[0], qkv.shape[1], qkv.shape[2])
    let c = c3 / 3, hd = c / heads
    precondition(dOut.shape == [b, n, c], "attention backward: dOut \(dOut.shape) vs qkv \(qkv.shape)")
    var dqkv = Tensor(shape: qkv.shape)
    var scratch = [Float](repeating: 0, count: n * n)
    qkv.withUnsafeBufferPointer { pq in dOut.withUnsafeBufferPointer { pdo in
    saved.probabilities.withUnsafeBufferPointer { pp in dqkv.withUnsafeMutableBufferPointer { pd in
    scratch.withUnsafeMutableBufferPointer { ps in
        let ds = ps.baseAddress!
        for bi in 0..<b {
            for h in 0..<heads {
                let q = pq.baseAddress! + bi * n * c3 + h * hd, k = q + c, v = q + 2 * c
                let dq = pd.baseAddress! + bi * n * c3 + h * hd, dk = dq + c, dv = dq + 2 * c
                let dO = pdo.baseAddress! + bi * n * c + h * hd
                let p = pp.baseAddress! + (bi * heads + h) * n * n
                gemm(transA: true, m: n, n: hd, k: n, a: p, lda: n, b: dO, ldb: c, c: dv, ldc: c3)
                gemm(transB: true, m: n, n: n, k: hd, a: dO, lda: c, b: v, ldb: c3, c: ds, ldc: n)
                softmaxBackwardRowsInPlace(ds, output: p, rows: n, cols: n)
                gemm(m: n, n: hd, k: n, alpha: scale, a: ds, lda: n, b: k, ldb: c3, c: dq, ldc: c3)
                gemm(transA: true, m: n, n: hd, k: n, alpha: scale, a: ds, lda: n, b: q, ldb: c3, c: dk, ldc: c3)
            }
        }
    }}}}}
    return dqkv
}
