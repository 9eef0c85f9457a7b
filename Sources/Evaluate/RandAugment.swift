import Foundation
import Tensor
import VideoIO

/// RandAugment as the original fine-tunes with it (docs/method.md §6.5, `rand-m7-n4-mstd0.5-inc1`): `count` ops drawn
/// uniformly with replacement from the 15 "increasing" ops, each applied with probability 0.5 at a magnitude drawn from
/// N(`magnitude`, `magnitudeStd`) clipped to 0…10, with a random sign where the op has one. One draw serves every frame
/// of a clip.
public struct RandAugment: Codable, Sendable, Equatable {
    public var magnitude: Double = 7
    public var count = 4
    public var magnitudeStd = 0.5
    /// Chance that each drawn op is applied.
    public var probability = 0.5

    public init() {}

    /// The highest magnitude (the original's `_MAX_LEVEL`) and the most ops per clip accepted.
    public static let maxMagnitude = 10.0, maxCount = 64

    /// Parses `m7-n4`, optionally with `-mstd0.5` and `-inc1` (the increasing set, the only one implemented) and a
    /// leading `rand-`, as the original's config string `rand-m7-n4-mstd0.5-inc1`; nil if a field is unknown or out of
    /// range.
    public init?(spec: String) {
        var parts = spec.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
        if parts.first == "rand" { parts.removeFirst() }
        var sawM = false, sawN = false
        for part in parts {
            if part.hasPrefix("mstd"), let v = Double(part.dropFirst(4)), v >= 0, v <= Self.maxMagnitude {
                magnitudeStd = v
            } else if part == "inc1" {
                continue
            } else if part.hasPrefix("m"), let v = Double(part.dropFirst()), v >= 0, v <= Self.maxMagnitude {
                magnitude = v
                sawM = true
            } else if part.hasPrefix("n"), let v = Int(part.dropFirst()), v >= 1, v <= Self.maxCount {
                count = v
                sawN = true
            } else {
                return nil
            }
        }
        guard sawM && sawN else { return nil }
    }

    /// The flag form, `m7-n4` (with `-mstd` when it is not the original's 0.5).
    public var spec: String {
        func number(_ v: Double) -> String { v == v.rounded() ? String(Int(v)) : String(v) }
        return "m\(number(magnitude))-n\(count)" + (magnitudeStd == 0.5 ? "" : "-mstd\(number(magnitudeStd))")
    }

    /// The ops for one clip, in order; ops that the 0.5 draw skips are left out.
    public func sample(using rng: inout SplitMix64) -> [RandAugmentStep] {
        let all = RandAugmentOp.allCases
        let drawn = (0..<count).map { _ in all[Int(rng.next() % UInt64(all.count))] }
        return drawn.compactMap { op in
            guard Double(rng.nextUniform()) < probability else { return nil }
            var m = magnitude
            if magnitudeStd > 0 { m += magnitudeStd * Double(rng.nextNormal()) }
            m = min(max(m, 0), Self.maxMagnitude)
            let negative = op.signed && rng.nextUniform() < 0.5
            return RandAugmentStep(op: op, argument: op.argument(magnitude: m, negative: negative))
        }
    }
}
