import Foundation
import Tensor

/// Which fixed position table a masked-modelling encoder uses.
public enum PositionEncoding: String, Codable, Sendable {
    /// 3-D sin-cos (the MVD student, its decoders and the fine-tuning classifier).
    case sincos3D = "sincos-3d"
    /// The 1-D interleaved sinusoid (VideoMAE, i.e. a video teacher trained with pixel targets).
    case sinusoid1D = "sinusoid-1d"
    /// 2-D sin-cos without the CLS row (an MAE image model trained on single frames).
    case sincos2D = "sincos-2d"
}

/// The three fixed position tables of docs/method.md §3, computed in Double and stored as Float.
public enum PositionTables {
    /// The table of `encoding` for a token grid of the given config at width `embedDim`: [N, embedDim].
    public static func table(_ encoding: PositionEncoding, embedDim: Int, config: ModelConfig) -> Tensor {
        let gridT = config.numFrames / config.tubeletSize
        switch encoding {
        case .sincos3D: return sincos3D(embedDim: embedDim, gridT: gridT, gridSide: config.gridSide)
        case .sinusoid1D: return sinusoid1D(positions: gridT * config.tokensPerFrame, embedDim: embedDim)
        case .sincos2D:
            precondition(gridT == 1, "the 2-D table is for single-frame models, got \(gridT) time slices")
            let t = sincos2DWithCLS(embedDim: embedDim, gridSide: config.gridSide)
            return Tensor(shape: [t.shape[0] - 1, embedDim], Array(t.storage[embedDim...]))
        }
    }

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
        var out = [Float]()
        out.reserveCapacity(gridT * g * g * e)
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

extension ModelConfig {
    /// Throws unless the table of `encoding` can be built for this model: what `PositionTables.table` would trap on
    /// (a 3-D table needs a width divisible by 16, a 2-D table a single time slice and a width divisible by 4).
    public func checkPositionTable(_ encoding: PositionEncoding) throws {
        switch encoding {
        case .sincos3D:
            guard embedDim % 16 == 0 else {
                throw ModelConfigError.invalid(
                    "embed_dim \(embedDim) must be a multiple of 16 for the 3-D sin-cos position table (or choose --position-table sinusoid-1d)")
            }
        case .sincos2D:
            guard numFrames / tubeletSize == 1, embedDim % 4 == 0 else {
                throw ModelConfigError.invalid(
                    "the 2-D sin-cos position table is for single-frame models with embed_dim a multiple of 4; this model has \(numFrames / tubeletSize) time slices and embed_dim \(embedDim)"
                )
            }
        case .sinusoid1D:
            break
        }
    }
}
