import Tensor

/// Shape and label checks shared by the protocols; each throws an `EvaluateError` that names `what`.
enum FeatureChecks {
    /// Checks that `features` is [N, D] with N, D ≥ 1 and finite values, and returns (N, D).
    static func matrix(_ features: Tensor, _ what: String, columns: Int? = nil) throws -> (rows: Int, columns: Int) {
        guard features.rank == 2 else {
            throw EvaluateError.shapeMismatch(what: "\(what) features", expected: "[N, D]", actual: features.shape)
        }
        let (n, d) = (features.shape[0], features.shape[1])
        guard n > 0, d > 0 else { throw EvaluateError.emptyFeatures(what: what) }
        if let columns, columns != d {
            throw EvaluateError.shapeMismatch(what: "\(what) features", expected: "[N, \(columns)]", actual: features.shape)
        }
        if let bad = features.storage.firstIndex(where: { !$0.isFinite }) {
            throw EvaluateError.nonFiniteFeatures(what: what, row: bad / d)
        }
        return (n, d)
    }

    /// Checks one label per row, each in 0..<classCount.
    static func labels(_ labels: [Int], rows: Int, classCount: Int, _ what: String) throws {
        guard classCount >= 1 else {
            throw EvaluateError.invalidSetting(name: "classCount", value: "\(classCount)", expected: "at least 1")
        }
        guard labels.count == rows else { throw EvaluateError.labelCountMismatch(what: what, labels: labels.count, rows: rows) }
        if let i = labels.firstIndex(where: { $0 < 0 || $0 >= classCount }) {
            throw EvaluateError.labelOutOfRange(what: what, index: i, label: labels[i], classCount: classCount)
        }
    }
}

/// Each row of a [N, D] tensor divided by its L2 norm; all-zero rows stay zero.
public func l2NormalizedRows(_ x: Tensor) -> Tensor {
    precondition(x.rank == 2, "l2NormalizedRows needs [N, D], got \(x.shape)")
    var y = x
    let d = x.shape[1]
    y.withUnsafeMutableBufferPointer { p in
        let base = p.baseAddress!
        parallelRanges(x.shape[0], grain: rowGrain(rowCost: 2 * d)) { rows in
            for r in rows {
                let row = base + r * d
                var sum = 0.0
                for j in 0..<d { sum += Double(row[j]) * Double(row[j]) }
                guard sum > 0 else { continue }
                let inverse = Float(1 / sum.squareRoot())
                for j in 0..<d { row[j] *= inverse }
            }
        }
    }
    return y
}
