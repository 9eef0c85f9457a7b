import Foundation
import Tensor

/// The classifier output for one test view (one temporal segment × spatial crop) of one video.
public struct ViewPrediction: Codable, Equatable, Sendable {
    /// Identifies the video (the original uses the file's base name).
    public var videoID: String
    /// Identifies the view within the video, e.g. segment × cropsPerSegment + crop.
    public var viewID: Int
    public var label: Int
    public var logits: [Float]

    public init(videoID: String, viewID: Int, label: Int, logits: [Float]) {
        self.videoID = videoID
        self.viewID = viewID
        self.label = label
        self.logits = logits
    }
}

/// Per-video class probabilities after merging views.
public struct MergedPredictions: Sendable {
    /// Videos in order of first appearance.
    public let videoIDs: [String]
    public let labels: [Int]
    /// [videos, K]: the mean of the softmax of each distinct view's logits.
    public let probabilities: Tensor
    /// Distinct views merged for each video.
    public let viewCounts: [Int]
    /// Views skipped because their (video, view) pair had been seen before.
    public let duplicatesDropped: Int

    /// Top-1/top-5 of the merged probabilities.
    public func metrics(subsets: [ClassSubset] = []) throws -> ClassificationMetrics {
        try ClassificationMetrics(scores: probabilities, labels: labels, subsets: subsets)
    }
}

/// Merges multi-view test outputs as the original's final test does (docs/method.md §6.6): softmax each view's
/// logits, keep only the first view of each (video, view) pair (distributed evaluation pads and repeats
/// samples), and average the distinct views' probability vectors per video.
///
/// Throws when views of one video disagree on the label or when logit counts differ.
public func mergeViews(_ views: [ViewPrediction]) throws -> MergedPredictions {
    guard let classes = views.first?.logits.count, classes > 0 else { throw EvaluateError.emptyFeatures(what: "view logits") }
    var order: [String] = [], index: [String: Int] = [:], seen = Set<String>()
    var sums: [[Double]] = [], counts: [Int] = [], labels: [Int] = [], duplicates = 0
    for view in views {
        guard view.logits.count == classes else {
            throw EvaluateError.logitCountMismatch(video: view.videoID, expected: classes, actual: view.logits.count)
        }
        let video: Int
        if let i = index[view.videoID] {
            video = i
            guard labels[i] == view.label else {
                throw EvaluateError.inconsistentLabel(video: view.videoID, first: labels[i], second: view.label)
            }
        } else {
            video = order.count
            index[view.videoID] = video
            order.append(view.videoID)
            labels.append(view.label)
            sums.append([Double](repeating: 0, count: classes))
            counts.append(0)
        }
        guard seen.insert("\(view.viewID)\u{0}\(view.videoID)").inserted else {
            duplicates += 1
            continue
        }
        let p = softmax(view.logits)
        for c in 0..<classes { sums[video][c] += p[c] }
        counts[video] += 1
    }
    var probabilities = Tensor(shape: [order.count, classes])
    for v in 0..<order.count {
        for c in 0..<classes { probabilities.storage[v * classes + c] = Float(sums[v][c] / Double(counts[v])) }
    }
    return MergedPredictions(
        videoIDs: order, labels: labels, probabilities: probabilities,
        viewCounts: counts, duplicatesDropped: duplicates)
}

/// Softmax in Double, shifted by the maximum for stability.
func softmax(_ logits: [Float]) -> [Double] {
    let m = Double(logits.max() ?? 0)
    let e = logits.map { Foundation.exp(Double($0) - m) }
    let total = e.reduce(0, +)
    return e.map { $0 / total }
}
