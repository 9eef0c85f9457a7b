import Foundation

/// A numeric axis: a value range mapped onto [0, 1], linear or base-10 logarithmic, with "nice" ticks.
public struct AxisScale: Sendable, Equatable {
    public let lower: Double
    public let upper: Double
    public let logarithmic: Bool
    /// Tick positions inside [lower, upper], increasing.
    public let ticks: [Double]

    /// A linear scale covering `minimum…maximum`, widened to whole tick steps (1, 2 or 5 × 10ⁿ).
    public static func linear(minimum: Double, maximum: Double, targetTicks: Int = 6) -> AxisScale {
        var (lo, hi) = (minimum, maximum)
        if hi - lo <= abs(hi) * 1e-12 {  // a flat range still gets a visible axis
            let pad = lo == 0 ? 1 : abs(lo) * 0.1
            lo -= pad
            hi += pad
        }
        let step = niceStep((hi - lo) / Double(max(1, targetTicks - 1)))
        let first = (lo / step).rounded(.down) * step, last = (hi / step).rounded(.up) * step
        let count = Int(((last - first) / step).rounded())
        let ticks = (0...count).map { cleaned(first + Double($0) * step, step: step) }
        return AxisScale(lower: first, upper: last, logarithmic: false, ticks: ticks)
    }

    /// A log scale from the power of ten at or below `minimum` to the one at or above `maximum` (both > 0).
    /// Ticks sit on powers of ten; a range of one or two decades also gets 2× and 5× ticks.
    public static func logarithmic(minimum: Double, maximum: Double) -> AxisScale {
        precondition(minimum > 0 && maximum >= minimum, "log scale needs 0 < minimum <= maximum, got \(minimum)…\(maximum)")
        let lowExponent = Int(log10(minimum).rounded(.down))
        var highExponent = Int(log10(maximum).rounded(.up))
        if highExponent == lowExponent { highExponent += 1 }
        var ticks: [Double] = []
        let dense = highExponent - lowExponent <= 2
        for e in lowExponent...highExponent {
            let power = pow(10, Double(e))
            ticks.append(power)
            if dense && e < highExponent { ticks += [2 * power, 5 * power] }
        }
        return AxisScale(
            lower: pow(10, Double(lowExponent)), upper: pow(10, Double(highExponent)),
            logarithmic: true, ticks: ticks)
    }

    /// Where `value` falls, 0 at `lower` and 1 at `upper` (outside values fall outside [0, 1]).
    public func fraction(_ value: Double) -> Double {
        if logarithmic { return (log10(value) - log10(lower)) / (log10(upper) - log10(lower)) }
        return (value - lower) / (upper - lower)
    }

    /// The label of a tick: plain decimals with as many places as the tick step needs, or `1e-5` style for
    /// very small or very large magnitudes.
    public func label(_ value: Double) -> String {
        let magnitude = abs(value)
        if magnitude >= 1e6 || (magnitude < 1e-3 && magnitude > 0) { return exponentLabel(value) }
        let step = logarithmic ? value : (ticks.count > 1 ? ticks[1] - ticks[0] : max(magnitude, 1))
        let decimals = max(0, min(6, -Int(log10(step).rounded(.down))))
        return String(format: "%.\(decimals)f", value)
    }

    private func exponentLabel(_ value: Double) -> String {
        let exponent = Int(log10(abs(value)).rounded(.down))
        let mantissa = value / pow(10, Double(exponent))
        let m = abs(mantissa - mantissa.rounded()) < 1e-9 ? String(Int(mantissa.rounded())) : String(format: "%.1f", mantissa)
        return "\(m)e\(exponent)"
    }

    /// The smallest of 1, 2, 5 × 10ⁿ at least `raw`.
    static func niceStep(_ raw: Double) -> Double {
        let power = pow(10, log10(raw).rounded(.down))
        for factor in [1.0, 2.0, 5.0, 10.0] where factor * power >= raw * (1 - 1e-9) { return factor * power }
        return 10 * power
    }

    /// Removes floating-point dust such as 0.6000000000000001 from a tick value by rounding it to one
    /// decimal place more than the step has.
    private static func cleaned(_ value: Double, step: Double) -> Double {
        let places = pow(10, Double(max(0, 1 - Int(log10(step).rounded(.down)))))
        let snapped = (value * places).rounded() / places
        return abs(snapped) < step * 1e-9 ? 0 : snapped
    }
}
