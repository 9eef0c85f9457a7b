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
}
