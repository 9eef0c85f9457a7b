import Tensor

/// Per-feature standardisation with statistics of the training set: x ↦ (x − mean) / std.
///
/// Features whose training standard deviation is below `minimumStd` are only centred (divided by 1), so a
/// constant feature cannot blow up. Statistics are accumulated in Double.
public struct Standardizer: Codable, Equatable, Sendable {
    public static let minimumStd: Float = 1e-6

    public let mean: [Float]
    public let std: [Float]

    /// Statistics of the rows of `features` [N, D] (population standard deviation).
    public init(fitting features: Tensor) {
        precondition(features.rank == 2 && features.shape[0] > 0, "Standardizer needs [N, D] with N > 0, got \(features.shape)")
        let (n, d) = (features.shape[0], features.shape[1])
        var sum = [Double](repeating: 0, count: d), sumSquares = [Double](repeating: 0, count: d)
        for r in 0..<n {
            for j in 0..<d {
                let v = Double(features.storage[r * d + j])
                sum[j] += v
                sumSquares[j] += v * v
            }
        }
        mean = sum.map { Float($0 / Double(n)) }
        std = (0..<d).map { j in
            let m = sum[j] / Double(n)
            let s = Float(max(0, sumSquares[j] / Double(n) - m * m).squareRoot())
            return s < Standardizer.minimumStd ? 1 : s
        }
    }

    /// `features` [N, D] standardised.
    public func apply(_ features: Tensor) -> Tensor {
        let d = mean.count
        precondition(features.rank == 2 && features.shape[1] == d, "Standardizer for \(d) features applied to \(features.shape)")
        var out = features
        for r in 0..<features.shape[0] {
            for j in 0..<d { out.storage[r * d + j] = (out.storage[r * d + j] - mean[j]) / std[j] }
        }
        return out
    }
}
