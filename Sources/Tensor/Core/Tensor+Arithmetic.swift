import CKernels
extension Tensor {
    /// Element-wise sum (the residual add). Shapes must match exactly: no broadcasting.
    public static func + (lhs: Tensor, rhs: Tensor) -> Tensor {
        var out = lhs
        out.add(rhs)
        return out
    }

    /// In-place element-wise `self += other` (also how gradients accumulate).
    public mutating func add(_ other: Tensor) {
        precondition(shape == other.shape, "add: shape \(shape) vs \(other.shape)")
        let n = count
        other.withUnsafeBufferPointer { src in
            withUnsafeMutableBufferPointer { dst in
                let s = src.baseAddress!, d = dst.baseAddress!
                parallelRanges(n, grain: 65_536) { r in
                    for i in r { d[i] += s[i] }
                }
            }
        }
    }

    /// In-place `self *= factor`.
    public mutating func scale(by factor: Float) {
        let n = count
        withUnsafeMutableBufferPointer { dst in
            let d = dst.baseAddress!
            parallelRanges(n, grain: 65_536) { r in
                for i in r { d[i] *= factor }
            }
        }
    }

    /// Sets every element to zero, keeping the shape.
    public mutating func zero() {
        withUnsafeMutableBufferPointer { dst in dst.initialize(repeating: 0) }
    }

    /// Sum of squares in Double, reduced in fixed blocks (independent of thread count).
    public func sumOfSquares() -> Double {
        let n = count, grain = 16_384
        let blocks = (n + grain - 1) / grain
        var partial = [Double](repeating: 0, count: blocks)
        withUnsafeBufferPointer { src in
            partial.withUnsafeMutableBufferPointer { out in
                let s = src.baseAddress!, o = out.baseAddress!
                parallelBlocks(blocks) { b in
                    let lo = b * grain
                    o[b] = mvd_sum_of_squares(s + lo, min(n, lo + grain) - lo, 0)
                }
            }
        }
        return partial.reduce(0, +)
    }

    /// True when every element is finite.
    public var isFinite: Bool { storage.allSatisfy { $0.isFinite } }
}
