import CKernels
import Foundation
import TestSupport
import Testing

@testable import Tensor

@Suite("layer norm kernel")
struct LayerNormKernelTests {
    /// Rows of widths with and without a tail of fewer than 16 values, on values with a large common offset (where a
    /// careless variance loses digits).
    @Test("the vector and portable paths give the same bits, and both follow a Double reference", arguments: [768, 384, 37, 5])
    func pathsAgree(width c: Int) {
        let rows = 9
        var rng = SplitMix64(seed: UInt64(c))
        let x = Tensor.uniform([rows, c], bound: 2, using: &rng).storage.map { $0 + 40 }
        let w = Tensor.uniform([c], bound: 1, using: &rng).storage, b = Tensor.uniform([c], bound: 1, using: &rng).storage
        for affine in [true, false] {
            var outputs: [[Float]] = [], statistics: [[Float]] = []
            for portable: Int32 in [0, 1] {
                var y = [Float](repeating: .nan, count: rows * c), mean = [Float](repeating: .nan, count: rows)
                var rstd = mean
                w.withUnsafeBufferPointer { pw in
                    b.withUnsafeBufferPointer { pb in
                        mvd_layer_norm_rows(
                            x, &y, rows, c, affine ? pw.baseAddress : nil, affine ? pb.baseAddress : nil, 1e-6, &mean, &rstd, portable)
                    }
                }
                outputs.append(y)
                statistics.append(mean + rstd)
            }
            #expect(differing(outputs[0], outputs[1]) == 0, "width \(c), affine \(affine): outputs differ")
            #expect(differing(statistics[0], statistics[1]) == 0, "width \(c), affine \(affine): statistics differ")
            var worst = 0.0
            for r in 0..<rows {
                let row = x[(r * c)..<(r * c + c)].map(Double.init)
                let mu = row.reduce(0, +) / Double(c)
                let inv = 1 / (row.map { ($0 - mu) * ($0 - mu) }.reduce(0, +) / Double(c) + 1e-6).squareRoot()
                for j in 0..<c {
                    let want = affine ? (row[j] - mu) * inv * Double(w[j]) + Double(b[j]) : (row[j] - mu) * inv
                    worst = max(worst, abs(Double(outputs[0][r * c + j]) - want))
                }
            }
            // The fp32 mean of values near 40 is off by up to a few 1e-6, which the scale (about 0.9) carries into y.
            #expect(worst < 2e-5, "width \(c), affine \(affine): max deviation \(worst) from the Double reference")
        }
    }

    @Test("layerNormForward returns the kernel's rows and statistics")
    func forwardUsesKernel() {
        var rng = SplitMix64(seed: 5)
        let x = Tensor.uniform([3, 4, 50], bound: 3, using: &rng), w = Tensor.uniform([50], bound: 1, using: &rng)
        let b = Tensor.uniform([50], bound: 1, using: &rng)
        let (y, stats) = layerNormForward(x, weight: w, bias: b, eps: 1e-5)
        var want = [Float](repeating: 0, count: x.count), mean = [Float](repeating: 0, count: 12), rstd = mean
        mvd_layer_norm_rows(x.storage, &want, 12, 50, w.storage, b.storage, 1e-5, &mean, &rstd, 1)
        #expect(y.shape == x.shape)
        #expect(differing(y.storage, want) == 0)
        #expect(differing(stats.mean + stats.rstd, mean + rstd) == 0)
    }

    /// How many values differ in their bits.
    private func differing(_ a: [Float], _ b: [Float]) -> Int { zip(a, b).filter { $0.bitPattern != $1.bitPattern }.count + abs(a.count - b.count) }
}
