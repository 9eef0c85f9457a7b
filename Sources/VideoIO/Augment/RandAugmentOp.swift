/// One operation of RandAugment's "increasing" set (docs/method.md §6.5; the original's `rand_augment.py`,
/// `_RAND_INCREASING_TRANSFORMS`): every op that has a strength grows stronger with the magnitude.
public enum RandAugmentOp: String, CaseIterable, Sendable, Codable {
    case autoContrast, equalize, invert, rotate, posterize, solarize, solarizeAdd
    case color, contrast, brightness, sharpness, shearX, shearY, translateX, translateY

    /// Whether the argument gets a random sign (rotations, shears, translations and the enhance factors' offset).
    public var signed: Bool {
        switch self {
        case .rotate, .color, .contrast, .brightness, .sharpness, .shearX, .shearY, .translateX, .translateY: return true
        case .autoContrast, .equalize, .invert, .posterize, .solarize, .solarizeAdd: return false
        }
    }

    /// The op's argument at magnitude `m` (0…10) with sign `negative` (only for `signed` ops), as the original's level
    /// functions compute it with r = m / 10: degrees ±30r; bits kept 4 − int(4r); threshold 256 − int(256r); addend
    /// int(110r); enhance factor 1 ± 0.9r; shear ±0.3r; translation ±0.45r of the image side.
    public func argument(magnitude m: Double, negative: Bool) -> Double {
        let r = m / 10
        let sign: Double = negative && signed ? -1 : 1
        switch self {
        case .autoContrast, .equalize, .invert: return 0
        case .rotate: return sign * 30 * r
        case .posterize: return Double(4 - Int(4 * r))
        case .solarize: return Double(256 - Int(256 * r))
        case .solarizeAdd: return Double(Int(110 * r))
        case .color, .contrast, .brightness, .sharpness: return 1 + sign * 0.9 * r
        case .shearX, .shearY: return sign * 0.3 * r
        case .translateX, .translateY: return sign * 0.45 * r
        }
    }
}

/// One applied op with its final argument (degrees, bits, threshold, addend, factor, shear or fraction of the side).
public struct RandAugmentStep: Equatable, Sendable, Codable {
    public var op: RandAugmentOp
    public var argument: Double

    public init(op: RandAugmentOp, argument: Double) {
        self.op = op
        self.argument = argument
    }
}

extension Clip {
    /// The steps applied in order, each to every frame with the same argument (the original applies one draw to the
    /// clip's list of frames). Ops that depend on image statistics (auto-contrast, equalize, contrast) use each frame's
    /// own statistics, as they do per image there.
    public func randAugmented(_ steps: [RandAugmentStep]) -> Clip {
        var out = self
        for step in steps { out = out.applying(step) }
        return out
    }

    /// One step on every frame.
    public func applying(_ step: RandAugmentStep) -> Clip {
        let a = step.argument
        switch step.op {
        case .autoContrast: return mappingFrames { FrameOps.autoContrast($0) }
        case .equalize: return mappingFrames { FrameOps.equalize($0) }
        case .invert: return mappingFrames { FrameOps.lookUp($0, FrameOps.invertTable) }
        case .posterize: return mappingFrames { FrameOps.lookUp($0, FrameOps.posterizeTable(bits: Int(a))) }
        case .solarize: return mappingFrames { FrameOps.lookUp($0, FrameOps.solarizeTable(threshold: Int(a))) }
        case .solarizeAdd: return mappingFrames { FrameOps.lookUp($0, FrameOps.solarizeAddTable(addend: Int(a))) }
        case .color: return mappingFrames { FrameOps.blend(FrameOps.grayscaleRGB($0), $0, factor: Float(a)) }
        case .contrast: return mappingFrames { FrameOps.blend(FrameOps.meanGray($0), $0, factor: Float(a)) }
        case .brightness: return mappingFrames { FrameOps.blend([UInt8](repeating: 0, count: $0.count), $0, factor: Float(a)) }
        case .sharpness: return mappingFrames { FrameOps.blend(FrameOps.smoothed($0, width: width, height: height), $0, factor: Float(a)) }
        case .rotate: return transformed(by: .rotation(degrees: a, width: width, height: height))
        case .shearX: return transformed(by: AffineMap(a: 1, b: a, c: 0, d: 0, e: 1, f: 0))
        case .shearY: return transformed(by: AffineMap(a: 1, b: 0, c: 0, d: a, e: 1, f: 0))
        case .translateX: return transformed(by: AffineMap(a: 1, b: 0, c: a * Double(width), d: 0, e: 1, f: 0))
        case .translateY: return transformed(by: AffineMap(a: 1, b: 0, c: 0, d: 0, e: 1, f: a * Double(height)))
        }
    }

    /// Every frame replaced by `transform` of its (H, W, 3) bytes, which must keep the size.
    func mappingFrames(_ transform: ([UInt8]) -> [UInt8]) -> Clip {
        var out: [UInt8] = []
        out.reserveCapacity(pixels.count)
        for t in 0..<frameCount { out += transform(Array(frame(t))) }
        return Clip(frameCount: frameCount, height: height, width: width, pixels: out)
    }
}
