import Foundation
import Tensor
import TestSupport
import Testing

@testable import Evaluate

@Suite("multi-view merging and metrics")
struct MultiViewTests {
    /// softmax([2, 0]) = [0.8808, 0.1192]; softmax([0, 1]) = [0.2689, 0.7311].
    static let p0 = [1 / (1 + exp(-2.0)), exp(-2.0) / (1 + exp(-2.0))]
    static let p1 = [1 / (1 + exp(1.0)), exp(1.0) / (1 + exp(1.0))]

    @Test("averaging softmax over views can pick a class that most views' argmax do not")
    func averagedDiffersFromPerView() throws {
        // Views: [4, 0] → [0.982, 0.018]; [0, 0.5] twice → [0.378, 0.622]. Per-view argmax: 0, 1, 1.
        // Mean probability of class 0: (0.982 + 2 · 0.378) / 3 = 0.579 → class 0.
        let views = [
            ViewPrediction(videoID: "a", viewID: 0, label: 0, logits: [4, 0]),
            ViewPrediction(videoID: "a", viewID: 1, label: 0, logits: [0, 0.5]),
            ViewPrediction(videoID: "a", viewID: 2, label: 0, logits: [0, 0.5])
        ]
        let merged = try mergeViews(views)
        let q0 = 1 / (1 + exp(-4.0)), q1 = 1 / (1 + exp(0.5))
        let expected0 = (q0 + 2 * q1) / 3
        #expect(closeness(merged.probabilities.storage, [expected0, 1 - expected0], atol: 1e-6, rtol: 0).ok)
        let perViewVotesForZero = views.filter { $0.logits[0] > $0.logits[1] }.count
        #expect(perViewVotesForZero == 1)
        #expect(try merged.metrics().top1 == 100)
    }

    @Test("repeated (video, view) pairs count once, so repeats cannot flip the answer")
    func deduplication() throws {
        // Distinct views give class 0: (0.881 + 0.269) / 2 = 0.575. Counting the two repeats of view 1 would give
        // (0.881 + 3 · 0.269) / 4 = 0.422 → class 1.
        let views = [
            ViewPrediction(videoID: "v", viewID: 0, label: 0, logits: [2, 0]),
            ViewPrediction(videoID: "v", viewID: 1, label: 0, logits: [0, 1]),
            ViewPrediction(videoID: "v", viewID: 1, label: 0, logits: [0, 1]),
            ViewPrediction(videoID: "w", viewID: 1, label: 1, logits: [0, 1]),
            ViewPrediction(videoID: "v", viewID: 1, label: 0, logits: [0, 1])
        ]
        let merged = try mergeViews(views)
        #expect(merged.videoIDs == ["v", "w"] && merged.labels == [0, 1])
        #expect(merged.viewCounts == [2, 1] && merged.duplicatesDropped == 2)
        let expected = [(Self.p0[0] + Self.p1[0]) / 2, (Self.p0[1] + Self.p1[1]) / 2] + Self.p1
        #expect(closeness(merged.probabilities.storage, expected, atol: 1e-6, rtol: 0).ok)
        let result = try evaluateMultiView(run: "ft", views: views)
        #expect(result.top1 == 100 && result.evaluatedCount == 2 && result.classCount == 2)
    }

    @Test("views that disagree on label or logit count are refused")
    func inconsistentViews() {
        #expect(throws: EvaluateError.inconsistentLabel(video: "a", first: 0, second: 1)) {
            try mergeViews([
                ViewPrediction(videoID: "a", viewID: 0, label: 0, logits: [1, 0]),
                ViewPrediction(videoID: "a", viewID: 1, label: 1, logits: [1, 0])
            ])
        }
        #expect(throws: EvaluateError.logitCountMismatch(video: "b", expected: 2, actual: 3)) {
            try mergeViews([
                ViewPrediction(videoID: "a", viewID: 0, label: 0, logits: [1, 0]),
                ViewPrediction(videoID: "b", viewID: 0, label: 0, logits: [1, 0, 0])
            ])
        }
        #expect(throws: EvaluateError.self) { try mergeViews([]) }
    }

    @Test("top-1/top-5, ties broken toward the smaller class index, per class and per subset")
    func metrics() throws {
        // Row 0: label 2 is top. Row 1: label 0 ties with class 1 for the top but class 0 < 1 wins → hit.
        // Row 2: label 1 ties with class 0 → class 0 ranks above → miss at top-1, hit at top-5.
        // Row 3: 6 classes, label 5 has the lowest score → miss at top-5 too.
        let scores = Tensor(
            shape: [4, 6],
            [
                0, 0, 9, 0, 0, 0,
                5, 5, 0, 0, 0, 0,
                5, 5, 0, 0, 0, 0,
                6, 5, 4, 3, 2, 1
            ])
        let labels = [2, 0, 1, 5]
        let m = try ClassificationMetrics(
            scores: scores, labels: labels,
            subsets: [
                ClassSubset(name: "motion", classes: [1, 5]),
                ClassSubset(name: "appearance", classes: [0, 2])
            ])
        #expect(m.count == 4 && m.top1 == 50 && m.top5 == 75)
        #expect(m.perClass.map(\.label) == [0, 1, 2, 5] && m.perClass.map(\.top1) == [100, 0, 100, 0])
        #expect(
            m.subsets == [
                SubsetAccuracy(name: "motion", count: 2, top1: 0, top5: 50),
                SubsetAccuracy(name: "appearance", count: 2, top1: 100, top5: 100)
            ])
        #expect(topKAccuracy(scores: scores, labels: labels, k: 2) == 75)
    }
}
