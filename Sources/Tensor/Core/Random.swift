import Foundation

/// SplitMix64: a small, fast, explicitly seeded generator. Every random decision in the package
/// (initialisation, sampling, masking, drop path) takes one of these `using: &rng`; there is no global RNG.
public struct SplitMix64: RandomNumberGenerator, Sendable, Codable, Equatable {
    public private(set) var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform float in [0, 1) with 24 random bits.
    public mutating func nextUniform() -> Float {
        Float(next() >> 40) * (1.0 / 16_777_216.0)
    }

    /// A standard normal sample (Box–Muller, one value per call).
    public mutating func nextNormal() -> Float {
        var u1 = Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
        if u1 < 1e-300 { u1 = 1e-300 }
        let u2 = Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
        return Float((-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2))
    }

    /// A generator derived from this one's seed and a stream number, without advancing this one.
    public func fork(_ stream: UInt64) -> SplitMix64 {
        var g = SplitMix64(seed: state ^ (stream &* 0xD1B5_4A32_D192_ED03))
        _ = g.next()
        return g
    }
}

extension Tensor {
    /// Uniform values in [-bound, bound).
    public static func uniform(_ shape: [Int], bound: Float, using rng: inout SplitMix64) -> Tensor {
        var t = Tensor(shape: shape)
        for i in 0..<t.count { t.storage[i] = (rng.nextUniform() * 2 - 1) * bound }
        return t
    }

    /// Normal values with standard deviation `std`, redrawn until inside [-limit, limit] (truncated normal).
    public static func truncatedNormal(
        _ shape: [Int], std: Float, limit: Float,
        using rng: inout SplitMix64
    ) -> Tensor {
        var t = Tensor(shape: shape)
        for i in 0..<t.count {
            var v: Float
            repeat { v = rng.nextNormal() * std } while abs(v) > limit
            t.storage[i] = v
        }
        return t
    }
}
