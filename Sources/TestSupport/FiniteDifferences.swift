import Tensor

/// Central finite differences accumulated in Double, for checking hand-written backward passes.
///
/// `f` maps the (perturbed) input to a scalar loss computed in Double. The helper perturbs one coordinate
/// at a time by ±eps and returns (f(x+eps) - f(x-eps)) / (2 eps). With float32 forward code, eps ≈ 1e-3
/// gives a truncation and rounding error well under 1e-3 relative on the tiny shapes used in tests.
public func numericalGradient(_ x: [Float], eps: Float = 1e-3, _ f: ([Float]) -> Double) -> [Double] {
    var grad = [Double](repeating: 0, count: x.count)
    var probe = x
    for i in 0..<x.count {
        let original = probe[i]
        probe[i] = original + eps
        let up = f(probe)
        probe[i] = original - eps
        let down = f(probe)
        probe[i] = original
        grad[i] = (up - down) / (2 * Double(eps))
    }
    return grad
}

/// A deterministic pseudo-random sequence for test data: the package's SplitMix64 mapped to [-1, 1).
public struct TestRandom {
    private var generator: SplitMix64
    public init(seed: UInt64) { generator = SplitMix64(seed: seed) }
    public mutating func next() -> UInt64 { generator.next() }
    public mutating func uniform() -> Float { Float(next() >> 40) / Float(1 << 24) * 2 - 1 }
    public mutating func array(_ n: Int, scale: Float = 1) -> [Float] { (0..<n).map { _ in uniform() * scale } }
}
