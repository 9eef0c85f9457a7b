import Foundation
import Tensor

/// The three fixed position tables of MVD-SPEC §3, computed in Double and stored as Float.
public enum PositionTables {
    /// [sin(p·ω_0) … sin(p·ω_{d/2−1}), cos(p·ω_0) … cos(p·ω_{d/2−1})], ω_i = 10000^(−i/(d/2)).
    static func sincos1D(_ dim: Int, _ position: Double) -> [Double] {
        let half = dim / 2
        let omega = (0..<half).map { Foundation.pow(10000.0, -Double($0) / Double(half)) }
        return omega.map { Foundation.sin(position * $0) } + omega.map { Foundation.cos(position * $0) }
    }

    /// 3-D table [T'·H'·W', E] (student, decoders, classifier): row (t, h, w) = [E_{E/4}(t) | E_{3E/8}(w) | E_{3E/8}(h)].
    public static func sincos3D(embedDim e: Int, gridT: Int, gridSide g: Int) -> Tensor {
        precondition(e % 16 == 0, "3-D sin-cos table needs a width divisible by 16, got \(e)")
        let et = e / 4, es = (3 * e / 4) / 2
        var out = [Float](); out.reserveCapacity(gridT * g * g * e)
        for t in 0..<gridT {
            let tPart = sincos1D(et, Double(t))
            for h in 0..<g {
                let hPart = sincos1D(es, Double(h))
                for w in 0..<g {
                    out += (tPart + sincos1D(es, Double(w)) + hPart).map { Float($0) }
                }
            }
        }
        return Tensor(shape: [gridT * g * g, e], out)
    }

    /// 2-D table with a zero CLS row [1 + g², E] (MAE image teacher): row 1 + h·g + w = [E_{E/2}(w) | E_{E/2}(h)].
    public static func sincos2DWithCLS(embedDim e: Int, gridSide g: Int) -> Tensor {
        var out = [Float](repeating: 0, count: e)
        for h in 0..<g {
            let hPart = sincos1D(e / 2, Double(h))
            for w in 0..<g { out += (sincos1D(e / 2, Double(w)) + hPart).map { Float($0) } }
        }
        return Tensor(shape: [1 + g * g, e], out)
    }

    /// 1-D interleaved sinusoid [n, D] (VideoMAE video teacher): angle = p / 10000^(2⌊j/2⌋/D), sin for even j, cos for odd.
    public static func sinusoid1D(positions n: Int, embedDim d: Int) -> Tensor {
        var out = [Float](repeating: 0, count: n * d)
        for p in 0..<n {
            for j in 0..<d {
                let angle = Double(p) / Foundation.pow(10000.0, 2 * Double(j / 2) / Double(d))
                out[p * d + j] = Float(j % 2 == 0 ? Foundation.sin(angle) : Foundation.cos(angle))
            }
        }
        return Tensor(shape: [n, d], out)
    }
}
