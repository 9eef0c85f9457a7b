import CKernels
import Foundation
import Testing

@testable import Tensor

/// The vector paths of the softmax and GELU kernels (AVX-512, or AVX2 with FMA, whichever this CPU has) against the
/// portable loops and a Double reference. The vector paths fuse multiply-adds, so they may differ from the portable
/// loops in the last bits; both must follow the reference.
@Suite("vector kernels")
struct VectorKernelTests {
    /// Row lengths through every tail case of a 16-lane step (and the decoders' 1568 tokens).
    static let widths = [1, 5, 8, 13, 16, 17, 37, 1568]

    static func values(_ n: Int, seed: UInt64, spread: Float) -> [Float] {
        var rng = SplitMix64(seed: seed)
        return Tensor.uniform([n], bound: spread, using: &rng).storage
    }

    @Test("softmax rows: the vector path follows the portable loop and a Double reference", arguments: widths)
    func softmax(cols: Int) {
        let rows = 3
        let x = Self.values(rows * cols, seed: UInt64(cols), spread: 8)
        var vector = x, portable = x
        mvd_softmax_rows(&vector, rows, cols)
        mvd_softmax_rows_portable(&portable, rows, cols)
        for r in 0..<rows {
            let row = x[(r * cols)..<((r + 1) * cols)].map(Double.init)
            let top = row.max()!
            let sum = row.reduce(0) { $0 + Foundation.exp($1 - top) }
            for j in 0..<cols {
                let want = Foundation.exp(row[j] - top) / sum, i = r * cols + j
                #expect(abs(Double(vector[i]) - want) <= 2e-6 * want + 1e-12, "vector [\(r), \(j)]: \(vector[i]) vs \(want)")
                #expect(abs(Double(portable[i]) - want) <= 2e-6 * want + 1e-12, "portable [\(r), \(j)]")
            }
        }
    }

    @Test("softmax backward rows: the vector path follows the portable loop and a Double reference", arguments: widths)
    func softmaxBackward(cols: Int) {
        let rows = 3
        var p = Self.values(rows * cols, seed: 100 + UInt64(cols), spread: 4)
        mvd_softmax_rows_portable(&p, rows, cols)
        let g = Self.values(rows * cols, seed: 200 + UInt64(cols), spread: 1)
        var vector = g, portable = g
        mvd_softmax_backward_rows(&vector, p, rows, cols)
        mvd_softmax_backward_rows_portable(&portable, p, rows, cols)
        for r in 0..<rows {
            let range = (r * cols)..<((r + 1) * cols)
            let dot = range.reduce(0.0) { $0 + Double(g[$1]) * Double(p[$1]) }
            for i in range {
                let want = Double(p[i]) * (Double(g[i]) - dot)
                #expect(abs(Double(vector[i]) - want) <= 1e-6 * Double(p[i]) + 1e-9, "vector [\(i)]: \(vector[i]) vs \(want)")
                #expect(abs(Double(portable[i]) - want) <= 1e-6 * Double(p[i]) + 1e-9, "portable [\(i)]")
            }
        }
    }

    @Test("GELU forward and backward: the vector path follows the portable loop and a Double reference", arguments: [1, 15, 16, 33, 1000])
    func gelu(n: Int) {
        let x = Self.values(n, seed: 7 + UInt64(n), spread: 6), dy = Self.values(n, seed: 8, spread: 1)
        var y = [Float](repeating: 0, count: n), yp = y, dx = y, dxp = y
        mvd_gelu_forward(x, &y, n)
        mvd_gelu_forward_portable(x, &yp, n)
        mvd_gelu_backward(x, dy, &dx, n)
        mvd_gelu_backward_portable(x, dy, &dxp, n)
        for i in 0..<n {
            let v = Double(x[i]), cdf = 0.5 * (1 + Foundation.erf(v / 2.0.squareRoot()))
            let pdf = Foundation.exp(-0.5 * v * v) / (2 * Double.pi).squareRoot()
            let wantY = v * cdf, wantDx = Double(dy[i]) * (cdf + v * pdf)
            for (name, got, want) in [("y", y[i], wantY), ("y portable", yp[i], wantY), ("dx", dx[i], wantDx), ("dx portable", dxp[i], wantDx)] {
                #expect(abs(Double(got) - want) <= 1e-6 * max(1, abs(want)), "\(name) at x = \(x[i]): \(got) vs \(want)")
            }
        }
    }

    @Test("sum of squares: the vector path gives the portable loop's bits and follows a Double reference", arguments: [0, 1, 15, 16, 17, 100_003])
    func sumOfSquares(n: Int) {
        let x = Self.values(n, seed: 300 + UInt64(n), spread: 3)
        let vector = mvd_sum_of_squares(x, n, 0), portable = mvd_sum_of_squares(x, n, 1)
        #expect(vector.bitPattern == portable.bitPattern, "\(vector) vs \(portable)")
        let want = x.reduce(0.0) { $0 + Double($1) * Double($1) }
        #expect(abs(vector - want) <= 1e-12 * max(1, want), "\(vector) vs \(want)")
    }

    @Test("regression losses: the vector path gives the portable loop's bits, value and gradient, and follows a Double reference", arguments: [RegressionLoss.smoothL1, .l2, .l1])
    func regressionLosses(kind: RegressionLoss) {
        let code: Int32 = switch kind { case .smoothL1: 0; case .l2: 1; case .l1: 2 }
        for n in [1, 9, 16, 37, 4099] {
            let p = Self.values(n, seed: 400 + UInt64(n), spread: 2), t = Self.values(n, seed: 500 + UInt64(n), spread: 2)
            let inv = 1 / Float(n)
            var g = [Float](repeating: 0, count: n), gp = g
            let vector = mvd_regression_loss_sum(code, p, t, &g, n, inv, 0)
            let portable = mvd_regression_loss_sum(code, p, t, &gp, n, inv, 1)
            #expect(vector.bitPattern == portable.bitPattern && g == gp, "n \(n): \(vector) vs \(portable)")
            var want = 0.0
            for i in 0..<n {
                let d = Double(p[i]) - Double(t[i])
                let (term, slope): (Double, Double) =
                    switch kind {
                    case .smoothL1: abs(d) < 1 ? (0.5 * d * d, d) : (abs(d) - 0.5, d > 0 ? 1 : -1)
                    case .l2: (d * d, 2 * d)
                    case .l1: (abs(d), d > 0 ? 1 : (d < 0 ? -1 : 0))
                    }
                want += term
                #expect(abs(Double(g[i]) - slope / Double(n)) <= 1e-6 * (abs(slope) + 1) / Double(n), "gradient [\(i)]")
            }
            #expect(abs(vector - want) <= 1e-5 * max(1, want), "n \(n): \(vector) vs \(want)")
        }
        // Through the library function: the mean and the gradient as before.
        let p = Tensor(shape: [2, 3], [0.5, -2, 3, 0, 0.25, -0.75]), t = Tensor(shape: [2, 3], [0, 0, 0, 0, 0, 0])
        let (loss, grad) = regressionLoss(kind, prediction: p, target: t)
        let terms: [Double] =
            switch kind {
            case .smoothL1: [0.125, 1.5, 2.5, 0, 0.03125, 0.28125]
            case .l2: [0.25, 4, 9, 0, 0.0625, 0.5625]
            case .l1: [0.5, 2, 3, 0, 0.25, 0.75]
            }
        #expect(abs(loss - terms.reduce(0, +) / 6) < 1e-12)
        let slopes: [Float] =
            switch kind {
            case .smoothL1: [0.5, -1, 1, 0, 0.25, -0.75]
            case .l2: [1, -4, 6, 0, 0.5, -1.5]
            case .l1: [1, -1, 1, 0, 1, -1]
            }
        #expect(grad.storage == slopes.map { $0 / 6 }, "\(grad.storage)")
    }
}
