import Foundation
import Tensor
import TestSupport
import Testing

@testable import Evaluate

@Suite("frame similarity and results")
struct SimilarityAndResultTests {
    @Test("a clip whose features do not change over time has an all-ones similarity matrix")
    func constantClip() throws {
        var rng = SplitMix64(seed: 21)
        let frame = (0..<(3 * 5)).map { _ in rng.nextNormal() }
        let clip = Tensor(shape: [4, 3, 5], Array([[Float]](repeating: frame, count: 4).joined()))
        let m = try SimilarityMatrix(clip: clip)
        #expect(closeness(m.values.flatMap { $0 }, [Double](repeating: 1, count: 16), atol: 1e-6, rtol: 0).ok)
        #expect(abs(try #require(m.meanOffDiagonal) - 1) < 1e-6)
    }

    @Test("a hand-made 2-frame clip gives the mean of per-token cosines")
    func handClip() throws {
        // Frame 0 tokens (1, 0), (0, 1); frame 1 tokens (2, 2), (0, -3).
        // Token 0: cos = 1/√2; token 1: cos = -1; mean = (1/√2 - 1) / 2 = -0.146447.
        let clip = Tensor(shape: [2, 2, 2], [1, 0, 0, 1, 2, 2, 0, -3])
        let m = try SimilarityMatrix(clip: clip)
        let off = (1 / 2.0.squareRoot() - 1) / 2
        #expect(closeness(m.values.flatMap { $0 }, [1, off, off, 1], atol: 1e-6, rtol: 0).ok, "\(m.values)")
        #expect(abs(try #require(m.meanOffDiagonal) - off) < 1e-6)
        // Averaged with a constant clip of the same shape: off-diagonal (off + 1) / 2.
        let constant = Tensor(shape: [2, 2, 2], [1, 2, 3, 4, 1, 2, 3, 4])
        let mean = try SimilarityMatrix(clips: [clip, constant])
        #expect(mean.clipCount == 2 && abs(mean.values[0][1] - (off + 1) / 2) < 1e-6)
        #expect(throws: EvaluateError.self) { try SimilarityMatrix(clips: [clip, Tensor(shape: [3, 2, 2])]) }
        #expect(try SimilarityMatrix(clip: Tensor(shape: [1, 2, 2], [1, 0, 0, 1])).meanOffDiagonal == nil)
    }

    static func sampleResult() -> EvaluationResult {
        EvaluationResult(
            run: "mvd-b", evaluationProtocol: .linear,
            metrics: try! ClassificationMetrics(
                scores: Tensor(shape: [2, 3], [1, 0, 0, 0, 0, 1]), labels: [0, 1],
                subsets: [ClassSubset(name: "motion", classes: [1])]),
            trainCount: 10, classCount: 3, linear: LinearProbeConfiguration(), trainingLoss: [1.5, 0.75])
    }

    @Test("results survive a JSON round trip and store the protocol under \"protocol\"")
    func jsonRoundTrip() throws {
        let result = Self.sampleResult()
        let data = try result.jsonData()
        #expect(try EvaluationResult.decode(data) == result)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["protocol"] as? String == "linear" && object["top1"] as? Double == 50)
        #expect(throws: EvaluateError.self) { try EvaluationResult.decode(Data("{}".utf8)) }
        let many = try JSONDecoder().decode([EvaluationResult].self, from: EvaluationResult.jsonData([result, result]))
        #expect(many.count == 2)
    }

    @Test("the terminal table aligns every column and marks missing subsets with '-'")
    func table() {
        var knn = Self.sampleResult()
        knn.run = "videomae-baseline"
        knn.evaluationProtocol = .knn
        knn.subsets = []
        knn.top1 = 7.5
        let text = renderResultTable([Self.sampleResult(), knn])
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.count == 4)
        #expect(Set(lines.map(\.count)).count == 1, "\n\(text)")
        #expect(lines[0].hasPrefix("run ") && lines[0].contains("motion top-1"))
        #expect(lines[2].contains("50.00") && lines[3].contains(" 7.50") && lines[3].contains(" - "))
    }
}
