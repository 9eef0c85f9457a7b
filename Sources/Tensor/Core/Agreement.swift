/// How closely one computation's output follows a reference's: the figures quoted for bf16 against fp32.
public struct Agreement: Sendable, Equatable {
    /// max |a − r| / max |r|: the worst error, relative to the reference's scale.
    public var maxRelative: Double
    /// mean |a − r| / mean |r|.
    public var meanRelative: Double
    /// The cosine similarity of the two outputs taken as vectors.
    public var cosine: Double

    /// Compares `actual` with `reference` (same count).
    public init(_ actual: [Float], _ reference: [Float]) {
        precondition(actual.count == reference.count && !actual.isEmpty, "agreement of \(actual.count) and \(reference.count) values")
        var maxDiff = 0.0, maxRef = 0.0, sumDiff = 0.0, sumRef = 0.0, dot = 0.0, aa = 0.0, rr = 0.0
        for (x, y) in zip(actual, reference) {
            let a = Double(x), r = Double(y), d = abs(a - r)
            maxDiff = max(maxDiff, d)
            maxRef = max(maxRef, abs(r))
            sumDiff += d
            sumRef += abs(r)
            dot += a * r
            aa += a * a
            rr += r * r
        }
        maxRelative = maxDiff / max(maxRef, .leastNormalMagnitude)
        meanRelative = sumDiff / max(sumRef, .leastNormalMagnitude)
        cosine = dot / max((aa * rr).squareRoot(), .leastNormalMagnitude)
    }
}
