import Foundation
import Tensor
import VideoIO

/// Random erasing as the original fine-tunes with it (docs/method.md §6.5; its `random_erasing.py`, mode "pixel",
/// one box, the "cube" variant): with `probability`, one box of area fraction uniform in 0.02…1/3 and aspect
/// (height / width) log-uniform in 0.3…1/0.3, up to 100 attempts to fit strictly inside the frame, is replaced in every
/// frame of the clip by fresh N(0, 1) noise. It runs on normalised values, where N(0, 1) is the data's own scale.
public struct RandomErasing: Codable, Sendable, Equatable {
    public var probability: Float
    public var area: ClosedRange<Double> = 0.02...(1.0 / 3.0)
    public var aspect: ClosedRange<Double> = 0.3...(1 / 0.3)

    public init(probability: Float) { self.probability = probability }

    /// The box (or none) for a `width` x `height` frame; a side may round to 0 on tiny frames (then nothing is erased).
    public func sampleBox(width: Int, height: Int, using rng: inout SplitMix64) -> CropBox? {
        guard rng.nextUniform() < probability else { return nil }
        let frameArea = Double(width * height)
        let logAspect = Foundation.log(aspect.lowerBound)...Foundation.log(aspect.upperBound)
        for _ in 0..<100 {
            let target = Double.random(in: area, using: &rng) * frameArea
            let ratio = Foundation.exp(Double.random(in: logAspect, using: &rng))
            let h = Int((target * ratio).squareRoot().rounded(.toNearestOrEven))
            let w = Int((target / ratio).squareRoot().rounded(.toNearestOrEven))
            if w < width && h < height {
                let y = Int.random(in: 0...(height - h), using: &rng), x = Int.random(in: 0...(width - w), using: &rng)
                return CropBox(x: x, y: y, width: w, height: h)
            }
        }
        return nil
    }

    /// Erases clip `index` of a (B, 3, T, H, W) batch in place; returns the box it erased, if any.
    @discardableResult
    public func apply(to batch: inout Tensor, clip index: Int, using rng: inout SplitMix64) -> CropBox? {
        let (t, h, w) = (batch.shape[2], batch.shape[3], batch.shape[4])
        guard let box = sampleBox(width: w, height: h, using: &rng) else { return nil }
        let base = index * 3 * t * h * w
        for f in 0..<t {
            for c in 0..<3 {
                for y in box.y..<(box.y + box.height) {
                    for x in box.x..<(box.x + box.width) {
                        batch.storage[base + ((c * t + f) * h + y) * w + x] = rng.nextNormal()
                    }
                }
            }
        }
        return box
    }
}
