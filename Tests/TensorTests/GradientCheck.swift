import TestSupport
import Testing

@testable import Tensor

/// Compares an analytic gradient with central finite differences of `loss` (evaluated in Double).
/// The loss is the float32 forward contracted with fixed random weights, so every output element matters.
func expectGradient(
    _ analytic: [Float], at x: [Float], eps: Float = 5e-3, atol: Double = 1e-3, rtol: Double = 1e-2,
    _ label: String, sourceLocation: SourceLocation = #_sourceLocation,
    loss: ([Float]) -> Double
) {
    let numeric = numericalGradient(x, eps: eps, loss)
    let report = closeness(analytic, numeric, atol: atol, rtol: rtol, label: label)
    #expect(report.ok, "\(report)", sourceLocation: sourceLocation)
}

/// Σ y·r in Double: a scalar that depends on every element of y.
func contract(_ y: Tensor, _ r: [Float]) -> Double {
    precondition(y.count == r.count)
    var s = 0.0
    for i in 0..<y.count { s += Double(y.storage[i]) * Double(r[i]) }
    return s
}

/// The upstream gradient of `contract` is r itself.
func upstream(_ shape: [Int], _ r: [Float]) -> Tensor { Tensor(shape: shape, r) }
