/// Mean over the token dimension: x [B, N, C] -> [B, C].
public func meanPoolForward(_ x: Tensor) -> Tensor {
    precondition(x.rank == 3, "mean pool expects [B, N, C], got \(x.shape)")
    let (b, n, c) = (x.shape[0], x.shape[1], x.shape[2])
    var out = Tensor(shape: [b, c])
    for s in 0..<b {
        for t in 0..<n {
            for j in 0..<c { out.storage[s * c + j] += x.storage[(s * n + t) * c + j] }
        }
        for j in 0..<c { out.storage[s * c + j] /= Float(n) }
    }
    return out
}

/// Backward of mean pooling: every token receives dy / N.
public func meanPoolBackward(_ dy: Tensor, tokens n: Int) -> Tensor {
    let (b, c) = (dy.shape[0], dy.shape[1])
    var dx = Tensor(shape: [b, n, c])
    for s in 0..<b {
        for t in 0..<n {
            for j in 0..<c { dx.storage[(s * n + t) * c + j] = dy.storage[s * c + j] / Float(n) }
        }
    }
    return dx
}
