// swift-format-ignore-file
// (Pointer closures are nested on one line each, so that the loop bodies keep one indentation level.)
/// Gathering and scattering token rows by a boolean mask, always in ascending token index.
///
/// Tokens are rows of [B, N, C]. A mask is [B * N] booleans; every sample must select the same number of
/// tokens (as tube masking guarantees), so the gathered tensor is [B, K, C].

/// Rows of x where `mask` equals `select`, per sample, in ascending index order. Returns [B, K, C].
public func gatherTokens(_ x: Tensor, mask: [Bool], select: Bool) -> Tensor {
    precondition(x.rank == 3 && mask.count == x.shape[0] * x.shape[1], "gather: x \(x.shape), mask \(mask.count)")
    let (b, n, c) = (x.shape[0], x.shape[1], x.shape[2])
    let indices = selectedIndices(mask, batch: b, tokens: n, select: select)
    let k = indices.count / max(b, 1)
    var out = Tensor(shape: [b, k, c])
    x.withUnsafeBufferPointer { px in out.withUnsafeMutableBufferPointer { po in
        let src = px.baseAddress!, dst = po.baseAddress!
        parallelRanges(b * k, grain: rowGrain(rowCost: c)) { r in
            for row in r {
                (dst + row * c).update(from: src + ((row / k) * n + indices[row]) * c, count: c)
            }
        }
    }}
    return out
}

/// The inverse of `gatherTokens`: adds rows of g [B, K, C] back into a zero [B, N, C] at the selected indices.
public func scatterTokens(_ g: Tensor, mask: [Bool], select: Bool, tokens n: Int) -> Tensor {
    let (b, k, c) = (g.shape[0], g.shape[1], g.shape[2])
    let indices = selectedIndices(mask, batch: b, tokens: n, select: select)
    precondition(indices.count == b * k, "scatter: mask selects \(indices.count) rows, gradient has \(b * k)")
    var out = Tensor(shape: [b, n, c])
    g.withUnsafeBufferPointer { pg in out.withUnsafeMutableBufferPointer { po in
        let src = pg.baseAddress!, dst = po.baseAddress!
        parallelRanges(b * k, grain: rowGrain(rowCost: c)) { r in
            for row in r {
                let d = dst + ((row / k) * n + indices[row]) * c, s = src + row * c
                for j in 0..<c { d[j] += s[j] }
            }
        }
    }}
    return out
}

/// Selected token indices per sample, concatenated ([B * K] entries). Every sample must select K tokens.
public func selectedIndices(_ mask: [Bool], batch b: Int, tokens n: Int, select: Bool) -> [Int] {
    var indices: [Int] = []
    indices.reserveCapacity(mask.count)
    var perSample = -1
    for s in 0..<b {
        var count = 0
        for t in 0..<n where mask[s * n + t] == select {
            indices.append(t)
            count += 1
        }
        precondition(perSample < 0 || perSample == count,
                     "every sample must select the same number of tokens: sample \(s) selects \(count), sample 0 selects \(perSample)")
        perSample = count
    }
    return indices
}
