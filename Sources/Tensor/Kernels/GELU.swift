import CKernels

/// Exact (erf) GELU: y = x · Φ(x) = 0.5 · x · (1 + erf(x / √2)), through the C kernel (AVX-512 when available;
/// erf to a few float32 ulps).
public func geluForward(_ x: Tensor) -> Tensor {
    var y = Tensor(unfilled: x.shape)
    let n = x.count
    x.withUnsafeBufferPointer { px in
        y.withUnsafeMutableBufferPointer { py in
            let src = px.baseAddress!, dst = py.baseAddress!
            parallelRanges(n, grain: 32_768) { r in mvd_gelu_forward(src + r.lowerBound, dst + r.lowerBound, r.count) }
        }
    }
    return y
}

/// Backward of exact GELU: dx = dy · (Φ(x) + x · φ(x)), φ the standard normal density.
public func geluBackward(_ dy: Tensor, input x: Tensor) -> Tensor {
    precondition(dy.shape == x.shape, "gelu backward: dy \(dy.shape) vs x \(x.shape)")
    var dx = Tensor(unfilled: x.shape)
    let n = x.count
    x.withUnsafeBufferPointer { px in
        dy.withUnsafeBufferPointer { pdy in
            dx.withUnsafeMutableBufferPointer { pdx in
                let src = px.baseAddress!, g = pdy.baseAddress!, dst = pdx.baseAddress!
                parallelRanges(n, grain: 32_768) { r in
                    mvd_gelu_backward(src + r.lowerBound, g + r.lowerBound, dst + r.lowerBound, r.count)
                }
            }
        }
    }
    return dx
}
