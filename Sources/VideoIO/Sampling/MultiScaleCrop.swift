/// The pre-training crop (docs/method.md §6.4, `GroupMultiScaleCrop` with `fix_crop` and `more_fix_crop`).
public struct MultiScaleCrop: Equatable, Sendable, Codable {
    /// The model's input size; candidates within 3 px of it snap to it.
    public var inputSize: Int
    /// Crop side scales relative to the frame's short side.
    public var scales: [Double]
    /// Largest allowed |i - j| between the width and height scale indices.
    public var maxDistort: Int

    public init(inputSize: Int = 224, scales: [Double] = [1, 0.875, 0.75, 0.66], maxDistort: Int = 1) {
        self.inputSize = inputSize
        self.scales = scales
        self.maxDistort = maxDistort
    }

    /// Candidate sizes `int(base * scale)` for `base = min(width, height)`, snapped to `inputSize` when within
    /// 3 px (base 320 and input 224 give [320, 280, 240, 211]).
    public func candidateSizes(width: Int, height: Int) -> [Int] {
        let base = Double(min(width, height))
        return scales.map { scale in
            let size = Int(base * scale)
            return abs(size - inputSize) < 3 ? inputSize : size
        }
    }

    /// Every (width, height) pair allowed, in the original's order (height index outer, width index inner).
    public func sizePairs(width: Int, height: Int) -> [(width: Int, height: Int)] {
        let sizes = candidateSizes(width: width, height: height)
        var pairs: [(width: Int, height: Int)] = []
        for (i, h) in sizes.enumerated() {
            for (j, w) in sizes.enumerated() where abs(i - j) <= maxDistort { pairs.append((w, h)) }
        }
        return pairs
    }

    /// The 13 fixed offsets for a `cropWidth` x `cropHeight` crop, as multiples of a quarter of the slack,
    /// in the original's order; duplicates are kept.
    public static func fixedOffsets(width: Int, height: Int, cropWidth: Int, cropHeight: Int) -> [(x: Int, y: Int)] {
        let ws = (width - cropWidth) / 4, hs = (height - cropHeight) / 4
        let grid = [(0, 0), (4, 0), (0, 4), (4, 4), (2, 2), (0, 2), (4, 2), (2, 4), (2, 0), (1, 1), (3, 1), (1, 3), (3, 3)]
        return grid.map { (x: $0.0 * ws, y: $0.1 * hs) }
    }

    /// A random crop box for a `width` x `height` frame: a size pair, then one of the 13 offsets, each
    /// uniform. The box is in source pixels; resize it to `inputSize` x `inputSize` afterwards.
    public func sample<G: RandomNumberGenerator>(width: Int, height: Int, using rng: inout G) -> CropBox {
        let pairs = sizePairs(width: width, height: height)
        let pair = pairs[Int.random(in: 0..<pairs.count, using: &rng)]
        let offsets = Self.fixedOffsets(width: width, height: height, cropWidth: pair.width, cropHeight: pair.height)
        let offset = offsets[Int.random(in: 0..<offsets.count, using: &rng)]
        return CropBox(x: offset.x, y: offset.y, width: pair.width, height: pair.height)
    }
}
