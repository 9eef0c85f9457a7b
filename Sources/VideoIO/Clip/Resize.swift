/// How a crop is resized to the model's input size.
public enum ResizeFilter: String, Equatable, Sendable, Codable, CaseIterable {
    /// PIL's `Image.resize(..., BILINEAR)`: a triangle filter whose support grows with the downscale factor
    /// (antialiased). Used by pre-training (docs/method.md §6.4).
    case antialiasedBilinear
    /// Plain 2-tap bilinear interpolation at half-pixel centres (OpenCV `INTER_LINEAR`, PyTorch
    /// `align_corners=False` without antialias). Used by fine-tuning and test views (docs/method.md §6.5, §6.6).
    case bilinear
}

/// Fixed-point weights of a 1-D resampling pass, PIL style: output sample `i` reads `count[i]` input samples
/// starting at `start[i]`, with integer weights `weights[i * taps + k]` that sum to about 2^22.
struct ResampleKernel {
    static let precisionBits = 22
    let start: [Int]
    let count: [Int]
    let weights: [Int]
    let taps: Int

    /// The kernel mapping `inSize` samples to `outSize` samples (PIL `precompute_coeffs` + 8-bit normalisation).
    init(inSize: Int, outSize: Int, filter: ResizeFilter) {
        precondition(inSize > 0 && outSize > 0, "resize from \(inSize) to \(outSize) samples")
        let scale = Double(inSize) / Double(outSize)
        let filterScale = filter == .antialiasedBilinear ? max(scale, 1) : 1
        let support = 1.0 * filterScale
        let taps = Int(support.rounded(.up)) * 2 + 1
        var start = [Int](repeating: 0, count: outSize), count = start
        var weights = [Int](repeating: 0, count: outSize * taps)
        let one = Double(1 << Self.precisionBits), inverseScale = 1.0 / filterScale
        for i in 0..<outSize {
            let center = (Double(i) + 0.5) * scale
            let lo = max(Int(center - support + 0.5), 0)  // Int() truncates toward zero, like C's (int)
            let hi = min(Int(center + support + 0.5), inSize)
            var raw = [Double](repeating: 0, count: hi - lo), total = 0.0
            for k in 0..<(hi - lo) {
                let w = max(0, 1 - abs((Double(k + lo) - center + 0.5) * inverseScale))
                raw[k] = w
                total += w
            }
            for k in 0..<(hi - lo) {
                let w = total != 0 ? raw[k] / total : 0
                weights[i * taps + k] = w < 0 ? Int(-0.5 + w * one) : Int(0.5 + w * one)
            }
            start[i] = lo
            count[i] = hi - lo
        }
        self.start = start
        self.count = count
        self.weights = weights
        self.taps = taps
    }
}

@inline(__always) private func clipToByte(_ sum: Int) -> UInt8 {
    let v = (sum + (1 << (ResampleKernel.precisionBits - 1))) >> ResampleKernel.precisionBits
    return UInt8(clamping: v)
}

extension Clip {
    /// Every frame resized to `width` x `height` (aspect ratio not preserved). Horizontal pass first, then
    /// vertical, each rounded to bytes — the order and fixed-point arithmetic of PIL's resampler, so
    /// `.antialiasedBilinear` matches PIL's BILINEAR resize.
    public func resized(width outWidth: Int, height outHeight: Int, filter: ResizeFilter = .antialiasedBilinear) -> Clip {
        var current = self
        if outWidth != width { current = current.resampledHorizontally(to: outWidth, filter: filter) }
        if outHeight != height { current = current.resampledVertically(to: outHeight, filter: filter) }
        return current
    }

    private func resampledHorizontally(to outWidth: Int, filter: ResizeFilter) -> Clip {
        let kernel = ResampleKernel(inSize: width, outSize: outWidth, filter: filter)
        let rows = frameCount * height
        var out = [UInt8](repeating: 0, count: rows * outWidth * 3)
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                kernel.weights.withUnsafeBufferPointer { w in
                    for row in 0..<rows {
                        let srcRow = row * width * 3, dstRow = row * outWidth * 3
                        for i in 0..<outWidth {
                            var r = 0, g = 0, b = 0
                            let first = kernel.start[i], wBase = i * kernel.taps
                            for k in 0..<kernel.count[i] {
                                let s = srcRow + (first + k) * 3, weight = w[wBase + k]
                                r += Int(src[s]) * weight
                                g += Int(src[s + 1]) * weight
                                b += Int(src[s + 2]) * weight
                            }
                            let d = dstRow + i * 3
                            dst[d] = clipToByte(r)
                            dst[d + 1] = clipToByte(g)
                            dst[d + 2] = clipToByte(b)
                        }
                    }
                }
            }
        }
        return Clip(frameCount: frameCount, height: height, width: outWidth, pixels: out)
    }

    private func resampledVertically(to outHeight: Int, filter: ResizeFilter) -> Clip {
        let kernel = ResampleKernel(inSize: height, outSize: outHeight, filter: filter)
        let rowBytes = width * 3
        var out = [UInt8](repeating: 0, count: frameCount * outHeight * rowBytes)
        var sums = [Int](repeating: 0, count: rowBytes)
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for t in 0..<frameCount {
                    for i in 0..<outHeight {
                        for j in 0..<rowBytes { sums[j] = 0 }
                        for k in 0..<kernel.count[i] {
                            let weight = kernel.weights[i * kernel.taps + k]
                            let s = (t * height + kernel.start[i] + k) * rowBytes
                            for j in 0..<rowBytes { sums[j] += Int(src[s + j]) * weight }
                        }
                        let d = (t * outHeight + i) * rowBytes
                        for j in 0..<rowBytes { dst[d + j] = clipToByte(sums[j]) }
                    }
                }
            }
        }
        return Clip(frameCount: frameCount, height: outHeight, width: width, pixels: out)
    }
}
