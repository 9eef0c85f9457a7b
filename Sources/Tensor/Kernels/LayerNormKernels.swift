// swift-format-ignore-file
// (Pointer closures are nested on one line each, so that the loop bodies keep one indentation level.)
import CKernels
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
    var mean = [Float](unsafeUninitializedCapacity: rows) { _, n in n = rows }
    var rstd = [Float](unsafeUninitializedCapacity: rows) { _, n in n = rows }
    // The row sums run in 16 partials added in a fixed tree (`mvd_layer_norm_rows`): one running sum waited on every
    // addition, and both the AVX-512 and the portable path give the same bits.
    let affine = weight != nil && bias != nil
    let w = affine ? weight!.storage : [], b = affine ? bias!.storage : []
    x.withUnsafeBufferPointer { px in y.withUnsafeMutableBufferPointer { py in
    mean.withUnsafeMutableBufferPointer { pm in rstd.withUnsafeMutableBufferPointer { pr in
    w.withUnsafeBufferPointer { pw in b.withUnsafeBufferPointer { pb in
        let (xin, out, m, s) = (px.baseAddress!, py.baseAddress!, pm.baseAddress!, pr.baseAddress!)
        let (wp, bp) = affine ? (pw.baseAddress, pb.baseAddress) : (nil, nil)
        parallelRanges(rows, grain: rowGrain(rowCost: 4 * c)) { range in
            let r = range.lowerBound
            mvd_layer_norm_rows(xin + r * c, out + r * c, range.count, c, wp, bp, eps, m + r, s + r, 0)
        }
    }}}}}}
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
