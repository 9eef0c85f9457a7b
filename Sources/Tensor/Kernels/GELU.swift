import Foundation

/// Exact (erf) GELU: y = x · Φ(x) = 0.5 · x · (1 + erf(x / √2)).
public func geluForward(_ x: Tensor) -> Tensor {
    var y = Tensor(shape: x.shape)
    let n = x.count
    x.withUnsafeBufferPointer { px in
        y.withUnsafeMutableBufferPointer { py in
            let src = px.baseAddress!, dst = py.baseAddress!
            parallelRanges(n, grain: 16_384) { r in
                for i in r {
                    let v = src[i]
                    dst[i] = 0.5 * v * (1 + erff(v * 0.70710678118654752))
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
                parallelRanges(n, grain: 16_384) { r in
                    for i in r {
                        let v = src[i]
                        let cdf = 0.5 * (1 + erff(v * 0.70710678118654752))
                        let pdf = 0.3989422804014327 * expf(-0.5 * v * v)
                        dst[i] = g[i] * (cdf + v * pdf)
                    }
                }
            }
        }
    }
    return dx
}
