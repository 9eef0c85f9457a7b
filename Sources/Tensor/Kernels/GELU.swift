import Foundation

/// Exact (erf) GELU: y = x · Φ(x) = 0.5 · x · (1 + erf(x / √2)), vectorised (see FastMath.swift).
public func geluForward(_ x: Tensor) -> Tensor {
    var y = Tensor(shape: x.shape)
    let n = x.count
    x.withUnsafeBufferPointer { px in
        y.withUnsafeMutableBufferPointer { py in
            let src = px.baseAddress!, dst = py.baseAddress!
            parallelRanges(n, grain: 32_768) { r in
                mapLanes(src + r.lowerBound, dst + r.lowerBound, r.count) { v in
                    0.5 * v * (1 + vectorErf(v * 0.70710678118654752))
                }
            }
        }
    }
    return y
}

/// Backward of exact GELU: dx = dy · (Φ(x) + x · φ(x)), φ the standard normal density.
public func geluBackward(_ dy: Tensor, input x: Tensor) -> Tensor {
    precondition(dy.shape == x.shape, "gelu backward: dy \(dy.shape) vs x \(x.shape)")
    var dx = Tensor(shape: x.shape)
    let n = x.count
    x.withUnsafeBufferPointer { px in
        dy.withUnsafeBufferPointer { pdy in
            dx.withUnsafeMutableBufferPointer { pdx in
                let src = px.baseAddress!, g = pdy.baseAddress!, dst = pdx.baseAddress!
                parallelRanges(n, grain: 32_768) { r in
                    // derivative first, then multiplied by dy in place
                    mapLanes(src + r.lowerBound, dst + r.lowerBound, r.count) { v in
                        let cdf = 0.5 * (1 + vectorErf(v * 0.70710678118654752))
                        return cdf + v * 0.3989422804014327 * vectorExp(-0.5 * v * v)
                    }
                    for i in r { dst[i] *= g[i] }
                }
            }
        }
    }
    return dx
}
