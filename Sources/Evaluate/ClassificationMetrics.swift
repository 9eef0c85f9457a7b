import Tensor

/// A named set of classes whose accuracy is reported on its own (e.g. "appearance" and "motion" classes).
public struct ClassSubset: Codable, Equatable, Sendable {
    public var name: String
    public var classes: [Int]

    public init(name: String, classes: [Int]) {
        self.name = name
        self.classes = classes
    }
}

/// Accuracy over the samples whose true label lies in one class subset. Accuracies are percentages.
public struct SubsetAccuracy: Codable, Equatable, Sendable {
    public var name: String
    public var count: Int
    public var top1: Double
    public var top5: Double
}

/// Top-1 accuracy over the samples of one class (percentage).
public struct ClassAccuracy: Codable, Equatable, Sendable {
    public var label: Int
    public var count: Int
    public var top1: Double
}

/// Top-1/top-5 accuracy (percentages, 0–100) of class scores against true labels, overall, per class and per
/// subset.
///
/// A sample's label is within the top k when fewer than k classes rank above it, where a class ranks above
/// the label if its score is higher, or equal with a smaller class index (a fixed, stable tie-break). With
/// fewer than 5 classes, top-5 counts every sample.
public struct ClassificationMetrics: Codable, Equatable, Sendable {
    public var count: Int
    public var top1: Double
    public var top5: Double
    /// One entry per class that has at least one sample, in class order.
    public var perClass: [ClassAccuracy]
    /// One entry per requested subset, in the order given.
    public var subsets: [SubsetAccuracy]

    /// scores: [N, K] (logits, probabilities or vote totals: only the order within a row matters).
    public init(scores: Tensor, labels: [Int], subsets: [ClassSubset] = []) throws {
        guard scores.rank == 2 else {
            throw EvaluateError.shapeMismatch(what: "scores", expected: "[N, classes]", actual: scores.shape)
        }
        let (n, k) = (scores.shape[0], scores.shape[1])
        guard n > 0 else { throw EvaluateError.emptyFeatures(what: "scores") }
        try FeatureChecks.labels(labels, rows: n, classCount: k, "scores")
        let ranks = (0..<n).map { labelRank(scores.storage[($0 * k)..<(($0 + 1) * k)], label: labels[$0]) }
        func summarise(_ rows: [Int]) -> (top1: Double, top5: Double) {
            guard !rows.isEmpty else { return (0, 0) }
            let hits1 = rows.filter { ranks[$0] < 1 }.count, hits5 = rows.filter { ranks[$0] < 5 }.count
            return (100 * Double(hits1) / Double(rows.count), 100 * Double(hits5) / Double(rows.count))
        }
        count = n
        (top1, top5) = summarise(Array(0..<n))
        let byClass = Dictionary(grouping: 0..<n, by: { labels[$0] })
        perClass = byClass.keys.sorted().map { c in
            ClassAccuracy(label: c, count: byClass[c]!.count, top1: summarise(byClass[c]!).top1)
        }
        self.subsets = subsets.map { subset in
            let members = Set(subset.classes)
            let rows = (0..<n).filter { members.contains(labels[$0]) }
            let (t1, t5) = summarise(rows)
            return SubsetAccuracy(name: subset.name, count: rows.count, top1: t1, top5: t5)
        }
    }
}

/// How many classes rank above `label` in one row of scores (0 = the label is the top prediction).
func labelRank(_ row: ArraySlice<Float>, label: Int) -> Int {
    let base = row.startIndex, target = row[base + label]
    var above = 0
    for j in 0..<row.count {
        let s = row[base + j]
        if s > target || (s == target && j < label) { above += 1 }
    }
    return above
}

/// Percentage of rows whose label is within the top `k` scores (the tie-break of `ClassificationMetrics`).
public func topKAccuracy(scores: Tensor, labels: [Int], k: Int) -> Double {
    precondition(scores.rank == 2 && scores.shape[0] == labels.count, "topKAccuracy: scores \(scores.shape) for \(labels.count) labels")
    let classes = scores.shape[1]
    guard !labels.isEmpty else { return 0 }
    let hits = labels.indices.filter { labelRank(scores.storage[($0 * classes)..<(($0 + 1) * classes)], label: labels[$0]) < k }
    return 100 * Double(hits.count) / Double(labels.count)
}
