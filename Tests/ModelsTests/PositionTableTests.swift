import TestSupport
import Testing

@testable import Models

@Test("3-D table test values of docs/method.md §3.1")
func sincos3DValues() {
    let t = PositionTables.sincos3D(embedDim: 768, gridT: 8, gridSide: 14)
    let row = 227 * 768  // token (t=1, h=2, w=3)
    let expected: [(Int, Float)] = [
        (0, 0.84147096), (96, 0.54030228), (192, 0.14112000), (336, -0.98999250),
        (480, 0.90929741), (624, -0.41614684), (95, 1.1006941e-4), (193, 0.32164571)
    ]
    for (ch, v) in expected { #expect(abs(t.storage[row + ch] - v) < 1e-6, "channel \(ch)") }
}
