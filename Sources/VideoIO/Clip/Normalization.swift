/// Per-channel mean and standard deviation applied to pixels scaled to [0, 1].
public struct Normalization: Equatable, Sendable, Codable {
    /// Mean per RGB channel.
    public var mean: [Float]
    /// Standard deviation per RGB channel.
    public var std: [Float]

    public init(mean: [Float], std: [Float]) {
        precondition(mean.count == 3 && std.count == 3, "normalisation needs 3 means and 3 stds, got \(mean.count), \(std.count)")
        self.mean = mean
        self.std = std
    }

    /// ImageNet statistics, used by every MVD pipeline (docs/method.md §6.4).
    public static let imageNet = Normalization(mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225])
}

extension Clip {
    /// The clip as float32 in the models' layout (3, T, H, W), channel-major:
    /// `out[((c * T + t) * H + y) * W + x] = (pixel / 255 - mean[c]) / std[c]`, computed in float32 in that
    /// order (which reproduces PyTorch's `ToTensor` + `Normalize` bit for bit).
    public func normalizedChannelsFirst(_ normalization: Normalization = .imageNet) -> [Float] {
        let plane = frameCount * height * width
        var out = [Float](repeating: 0, count: 3 * plane)
        let mean = normalization.mean, std = normalization.std
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for c in 0..<3 {
                    let m = mean[c], s = std[c], base = c * plane
                    for i in 0..<plane {
                        let v = Float(src[i * 3 + c]) / 255
                        dst[base + i] = (v - m) / s
                    }
                }
            }
        }
        return out
    }
}
