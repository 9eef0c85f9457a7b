import Foundation

/// The fine-tuning crop (docs/method.md §6.5; the original's `random_resized_crop`): a box of a random area fraction
/// (uniform in `scale`) and aspect ratio (log-uniform in `ratio`), placed uniformly, up to 10 attempts; if none fits,
/// the centre crop with the frame's aspect clamped to `ratio`. Resize the box to the input size afterwards.
public struct RandomResizedCrop: Equatable, Sendable, Codable {
    public var scale: ClosedRange<Double>
    public var ratio: ClosedRange<Double>

    public init(scale: ClosedRange<Double> = 0.08...1, ratio: ClosedRange<Double> = 0.75...(4.0 / 3.0)) {
        self.scale = scale
        self.ratio = ratio
    }

    /// A box for a `width` x `height` frame, in source pixels. Sides are rounded half to even, as Python's `round`.
    public func sample<G: RandomNumberGenerator>(width: Int, height: Int, using rng: inout G) -> CropBox {
        let area = Double(width * height)
        let logRatio = Foundation.log(ratio.lowerBound)...Foundation.log(ratio.upperBound)
        for _ in 0..<10 {
            let target = Double.random(in: scale, using: &rng) * area
            let aspect = Foundation.exp(Double.random(in: logRatio, using: &rng))
            let w = Int((target * aspect).squareRoot().rounded(.toNearestOrEven))
            let h = Int((target / aspect).squareRoot().rounded(.toNearestOrEven))
            if w > 0 && w <= width && h > 0 && h <= height {
                let y = Int.random(in: 0...(height - h), using: &rng), x = Int.random(in: 0...(width - w), using: &rng)
                return CropBox(x: x, y: y, width: w, height: h)
            }
        }
        return fallback(width: width, height: height)
    }

    /// The centre crop used when no attempt fits: the whole frame, narrowed to the nearest allowed aspect.
    public func fallback(width: Int, height: Int) -> CropBox {
        let inRatio = Double(width) / Double(height)
        var (w, h) = (width, height)
        if inRatio < ratio.lowerBound {
            h = Int((Double(w) / ratio.lowerBound).rounded(.toNearestOrEven))
        } else if inRatio > ratio.upperBound {
            w = Int((Double(h) * ratio.upperBound).rounded(.toNearestOrEven))
        }
        return CropBox(x: (width - w) / 2, y: (height - h) / 2, width: w, height: h)
    }
}
