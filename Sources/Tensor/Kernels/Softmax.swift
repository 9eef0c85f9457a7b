import Foundation

/// Numerically stable softmax of each row of length `cols`, in place. Rows are independent.
@inlinable
public func softmaxRowsInPlace(_ p: UnsafeMutablePointer<Float>, rows: Int, cols: Int) {
    parallelRanges(rows, grain: rowGrain(rowCost: 8 * cols)) { range in
        for r in range { softmaxRow(p + r * cols, cols) }
    }
}

/// Softmax of one row in place: max, then vectorised exp and sum (16 lanes, summed in a fixed order), then scale.
@inlinable
public func softmaxRow(_ row: UnsafeMutablePointer<Float>, _ n: Int) {
    var mx = -Float.infinity
    for j in 0..<n { mx = max(mx, row[j]) }
    let shift = FloatLanes(repeating: mx)
    var lanes = FloatLanes(repeating: 0)
    var j = 0
    while j + 16 <= n {
        let e = vectorExp(UnsafeRawPointer(row + j).loadUnaligned(as: FloatLanes.self) - shift)
        UnsafeMutableRawPointer(row + j).storeBytes(of: e, as: FloatLanes.self)
        lanes += e
        j += 16
    }
    var sum = lanes.sum()
    if j < n {
        var v = FloatLanes(repeating: -Float.infinity)
        for k in 0..<(n - j) { v[k] = row[j + k] - mx }
        let e = vectorExp(v)
        for k in 0..<(n - j) { row[j + k] = e[k]; sum += e[k] }
    }
    let inv = 1 / sum
    for k in 0..<n { row[k] *= inv }
}

/// Softmax over the last dimension.
public func softmaxForward(_ x: Tensor) -> Tensor {
    var y = x
    let cols = x.lastDimension, rows = x.rowCount
    y.withUnsafeMutableBufferPointer { p in softmaxRowsInPlace(p.baseAddress!, rows: rows, cols: cols) }
    return y
}

/// Backward of row softmax given its output y: dx = y ⊙ (dy − Σ_j dy_j y_j), in place over `dy` rows.
@inlinable
public func softmaxBackwardRowsInPlace(_ dy: UnsafeMutablePointer<Float>, output y: UnsafePointer<Float>,
                                       rows: Int, cols: Int) {
    parallelRanges(rows, grain: rowGrain(rowCost: 4 * cols)) { range in
        for r in range {
            let g = dy + r * cols, s = y + r * cols
            var dot: Float = 0
            for j in 0..<cols { dot += g[j] * s[j] }
            for j in 0..<cols { g[j] = s[j] * (g[j] - dot) }
        }
    }
}

/// Backward of softmax over the last dimension.
public func softmaxBackward(_ dy: Tensor, output y: Tensor) -> Tensor {
    precondition(dy.shape == y.shape, "softmax backward: dy \(dy.shape) vs y \(y.shape)")
    var dx = dy
    let cols = y.lastDimension, rows = y.rowCount
    y.withUnsafeBufferPointer { py in
        dx.withUnsafeMutableBufferPointer { pdx in
            softmaxBackwardRowsInPlace(pdx.baseAddress!, output: py.baseAddress!, rows: rows, cols: cols)
        }
    }
    return dx
}
