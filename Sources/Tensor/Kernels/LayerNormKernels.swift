// swift-format-ignore-file
// (Pointer closures are nested on one line each, so that the loop bodies keep one indentation level.)
import Foundation

/// Statistics saved by `layerNormForward` for the backward pass: per-row mean and 1/sqrt(var + eps).
public struct LayerNormStats: Sendable {
    public var mean: [Float]
    public var rstd: [Float]
}

/// LayerNorm over the last dimension with biased variance. x: [..., C]; weight, bias: [C] or nil (no affine).
/// Returns y and the per-row statistics (backward also needs x).
public func layerNormForward(_ x: Tensor, weight: Tensor?, bias: Tensor?, eps: Float) -> (Tensor, LayerNormStats) {
    let c = x.lastDimension, rows = x.rowCount
    var y = Tensor(unfilled: x.shape)
    var mean = [Float](repeating: 0, count: rows), rstd = [Float](repeating: 0, count: rows)
    let w = weight?.storage, b = bias?.storage
    x.withUnsafeBufferPointer { px in
        y.withUnsafeMutableBufferPointer { py in
            mean.withUnsafeMutableBufferPointer { pm in
                rstd.withUnsafeMutableBufferPointer { pr in
                    let xin = px.baseAddress!, out = py.baseAddress!, m = pm.baseAddress!, s = pr.baseAddress!
                    parallelRanges(rows, grain: rowGrain(rowCost: 4 * c)) { range in
                        for r in range {
                            let row = xin + r * c, dst = out + r * c
                            var sum: Float = 0
                            for j in 0..<c { sum += row[j] }
                            let mu = sum / Float(c)
                            var sq: Float = 0
                            for j in 0..<c {
                                let d = row[j] - mu
                                sq += d * d
                            }
                            let inv = 1 / (sq / Float(c) + eps).squareRoot()
                            m[r] = mu
                            s[r] = inv
                            if let w, let b {
                                for j in 0..<c { dst[j] = (row[j] - mu) * inv * w[j] + b[j] }
                            } else {
                                for j in 0..<c { dst[j] = (row[j] - mu) * inv }
                            }
                        }
                    }
                }
            }
        }
    }
    return (y, LayerNormStats(mean: mean, rstd: rstd))
}

/// Backward of LayerNorm. Returns dx; accumulates dWeight += Σ dy·x̂ and dBias += Σ dy when given.
///
/// With x̂ = (x − μ)·rstd and g = dy·w: dx = rstd · (g − mean(g) − x̂ · mean(g·x̂)).
/// The parameter gradients are reduced over fixed row blocks, added in block order (deterministic).
public func layerNormBackward(_ dy: Tensor, input x: Tensor, stats: LayerNormStats, weight: Tensor?,
                              dWeight: UnsafeMutablePointer<Float>?, dBias: UnsafeMutablePointer<Float>?) -> Tensor {
    let c = x.lastDimension, rows = x.rowCount
    var dx = Tensor(unfilled: x.shape)
    let w = weight?.storage
    let grain = 64
    let blocks = (rows + grain - 1) / grain
    let wantParams = dWeight != nil || dBias != nil
    var partialW = [Float](repeating: 0, count: wantParams ? blocks * c : 0)
    var partialB = [Float](repeating: 0, count: wantParams ? blocks * c : 0)
    x.withUnsafeBufferPointer { px in dy.withUnsafeBufferPointer { pdy in dx.withUnsafeMutableBufferPointer { pdx in
    partialW.withUnsafeMutableBufferPointer { pw in partialB.withUnsafeMutableBufferPointer { pb in
        let xin = px.baseAddress!, g = pdy.baseAddress!, out = pdx.baseAddress!
        let pwb = pw.baseAddress, pbb = pb.baseAddress
        parallelBlocks(blocks) { blk in
            var gw = [Float](repeating: 0, count: c)
            for r in blk * grain..<min(rows, (blk + 1) * grain) {
                let row = xin + r * c, drow = g + r * c, dst = out + r * c
                let mu = stats.mean[r], inv = stats.rstd[r]
                var sumG: Float = 0, sumGX: Float = 0
                for j in 0..<c {
                    let xh = (row[j] - mu) * inv
                    let gj = drow[j] * (w?[j] ?? 1)
                    gw[j] = gj
                    sumG += gj
                    sumGX += gj * xh
                    if wantParams {
                        pwb![blk * c + j] += drow[j] * xh
                        pbb![blk * c + j] += drow[j]
                    }
                }
                let meanG = sumG / Float(c), meanGX = sumGX / Float(c)
                for j in 0..<c {
                    let xh = (row[j] - mu) * inv
                    dst[j] = inv * (gw[j] - meanG - xh * meanGX)
                }
            }
        }
    }}}}}
    if wantParams {
        for blk in 0..<blocks {
            for j in 0..<c {
                dWeight?[j] += partialW[blk * c + j]
                dBias?[j] += partialB[blk * c + j]
            }
        }
    }
    return dx
}
