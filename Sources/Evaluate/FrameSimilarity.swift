import Tensor

/// A T × T matrix of mean token cosine similarity between time steps (the paper's Figure 3), with its
/// summary: the mean of the off-diagonal entries (nil when T = 1).
public struct SimilarityMatrix: Codable, Equatable, Sendable {
    /// values[i][j]: the similarity of time steps i and j.
    public let values: [[Double]]
    public let meanOffDiagonal: Double?
    /// Clips averaged into this matrix.
    public let clipCount: Int
    /// Manifest videos that failed to decode and are not in the average.
    public var skippedVideos: [SkippedVideo]?

    public init(values: [[Double]], clipCount: Int) {
        self.values = values
        self.clipCount = clipCount
        let t = values.count
        var sum = 0.0
        for i in 0..<t { for j in 0..<t where i != j { sum += values[i][j] } }
        meanOffDiagonal = t > 1 ? sum / Double(t * (t - 1)) : nil
    }

    /// The similarity matrix of one clip's features [T, L, D]: entry (i, j) is the cosine similarity of token
    /// l at time i and token l at time j, averaged over the L token positions. A zero token vector has
    /// similarity 0 with everything.
    public init(clip: Tensor) throws {
        guard clip.rank == 3 else {
            throw EvaluateError.shapeMismatch(what: "clip features", expected: "[T, L, D]", actual: clip.shape)
        }
        let (t, l, d) = (clip.shape[0], clip.shape[1], clip.shape[2])
        guard t > 0, l > 0, d > 0 else { throw EvaluateError.emptyFeatures(what: "clip") }
        // Unit token vectors, then one product: S = X̂ X̂ᵀ / L with X̂ viewed as [T, L·D].
        let tokens = clip.reshaped([t * l, d])
        _ = try FeatureChecks.matrix(tokens, "clip")  // finite values
        let unit = l2NormalizedRows(tokens).reshaped([t, l * d])
        let s = matmul(unit, unit, transB: true)
        let values = (0..<t).map { i in (0..<t).map { j in Double(s.storage[i * t + j]) / Double(l) } }
        self.init(values: values, clipCount: 1)
    }

    /// The entry-wise mean of the matrices of several clips, all of the same shape [T, L, D].
    public init(clips: [Tensor]) throws {
        guard let first = clips.first else { throw EvaluateError.emptyFeatures(what: "clip list") }
        let t = first.shape.first ?? 0
        var sum = [[Double]](repeating: [Double](repeating: 0, count: t), count: t)
        for clip in clips {
            guard clip.shape == first.shape else {
                throw EvaluateError.shapeMismatch(what: "clip features", expected: "\(first.shape) like the first clip", actual: clip.shape)
            }
            let m = try SimilarityMatrix(clip: clip)
            for i in 0..<t { for j in 0..<t { sum[i][j] += m.values[i][j] } }
        }
        self.init(values: sum.map { row in row.map { $0 / Double(clips.count) } }, clipCount: clips.count)
    }
}
