import CKernels
import Foundation

/// Numerically stable softmax of each row of length `cols`, in place. Rows are independent.
@inlinable
public func softmaxRowsInPlace(_ p: UnsafeMutablePointer<Float>, rows: Int, cols: Int) {
    parallelRanges(rows, grain: rowGrain(rowCost: 8 * cols)) { range in
        mvd_softmax_rows(p + range.lowerBound * cols, range.count, cols)
    }
}

/// Softmax of one row in place (the C kernel: AVX-512 when available).
@inlinable
public func softmaxRow(_ row: UnsafeMutablePointer<Float>, _ n: Int) {
    mvd_softmax_rows(row, 1, n)
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
public func softmaxBackwardRowsInPlace(
    _ dy: UnsafeMutablePointer<Float>, output y: UnsafePointer<Float>,
    rows: Int, cols: Int
) {
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
