/// Joining and splitting token sequences along the token dimension of [B, N, C] tensors.

/// [B, N1, C] ++ [B, N2, C] -> [B, N1 + N2, C] (per sample: a's tokens, then b's).
public func concatTokens(_ a: Tensor, _ b: Tensor) -> Tensor {
    precondition(
        a.rank == 3 && b.rank == 3 && a.shape[0] == b.shape[0] && a.shape[2] == b.shape[2],
        "concat tokens: \(a.shape) and \(b.shape)")
    let (batch, n1, n2, c) = (a.shape[0], a.shape[1], b.shape[1], a.shape[2])
    var out = Tensor(shape: [batch, n1 + n2, c])
    for s in 0..<batch {
        let o = s * (n1 + n2) * c
        out.storage.replaceSubrange(o..<o + n1 * c, with: a.storage[s * n1 * c..<(s + 1) * n1 * c])
        out.storage.replaceSubrange(o + n1 * c..<o + (n1 + n2) * c, with: b.storage[s * n2 * c..<(s + 1) * n2 * c])
    }
    return out
}

/// Tokens [from, from + count) of every sample: [B, N, C] -> [B, count, C].
public func sliceTokens(_ x: Tensor, from start: Int, count: Int) -> Tensor {
    precondition(x.rank == 3 && start >= 0 && start + count <= x.shape[1], "slice tokens \(start)+\(count) of \(x.shape)")
    let (batch, n, c) = (x.shape[0], x.shape[1], x.shape[2])
    var out = Tensor(shape: [batch, count, c])
    for s in 0..<batch {
        out.storage.replaceSubrange(
            s * count * c..<(s + 1) * count * c,
            with: x.storage[(s * n + start) * c..<(s * n + start + count) * c])
    }
    return out
}

/// The adjoint of `sliceTokens`: places g [B, count, C] at tokens [from, from + count) of a zero [B, N, C].
public func padTokens(_ g: Tensor, from start: Int, total n: Int) -> Tensor {
    let (batch, count, c) = (g.shape[0], g.shape[1], g.shape[2])
    var out = Tensor(shape: [batch, n, c])
    for s in 0..<batch {
        out.storage.replaceSubrange(
            (s * n + start) * c..<(s * n + start + count) * c,
            with: g.storage[s * count * c..<(s + 1) * count * c])
    }
    return out
}

/// x [B, N, C] + table [N, C] broadcast over the batch.
public func addPerToken(_ x: Tensor, _ table: Tensor) -> Tensor {
    let (batch, n, c) = (x.shape[0], x.shape[1], x.shape[2])
    precondition(table.count == n * c, "position table \(table.shape) for tokens \(x.shape)")
    var out = x
    for s in 0..<batch { for i in 0..<n * c { out.storage[s * n * c + i] += table.storage[i] } }
    return out
}
