import Foundation
import Tensor
import TestSupport
import Testing

@testable import Evaluate

@Suite("weighted k-NN")
struct KNNTests {
    @Test("separable class directions give 100% top-1 with k-NN")
    func separable() throws {
        let d = SyntheticFeatures.separableSplit(train: 400, val: 200, classes: 8, dimensions: 32, seed: 1)
        let result = try evaluateKNN(
            run: "sep", trainFeatures: d.train, trainLabels: d.trainLabels, valFeatures: d.val,
            valLabels: d.valLabels, classCount: 8, configuration: KNNConfiguration(chunkRows: 64))
        #expect(result.top1 == 100 && result.top5 == 100)
        #expect(result.evaluatedCount == 200 && result.trainCount == 400)
    }

    @Test("random features with random labels give chance-level accuracy (within 15–35% for 4 classes)")
    func chance() throws {
        var rng = SplitMix64(seed: 2)
        let (train, trainLabels) = SyntheticFeatures.random(rows: 1000, classes: 4, dimensions: 16, using: &rng)
        let (val, valLabels) = SyntheticFeatures.random(rows: 1000, classes: 4, dimensions: 16, using: &rng)
        let result = try evaluateKNN(
            run: "rnd", trainFeatures: train, trainLabels: trainLabels, valFeatures: val,
            valLabels: valLabels, classCount: 4)
        // 1000 samples: the standard deviation of the hit rate at p = 0.25 is 1.4 points.
        #expect(result.top1 > 15 && result.top1 < 35, "top-1 \(result.top1)")
    }

    @Test("a hand example: one close neighbour outvotes two distant ones, with the exact exp(s/τ) totals")
    func handComputedVotes() throws {
        // Query (1, 0). Train: (1, 0.1) label 0 has cosine 1/√1.01; (0.1, ±1) label 1 have cosine 0.1/√1.01.
        // A plain majority of the 3 neighbours says class 1; the weighted vote says class 0.
        let train = Tensor(shape: [3, 2], [1, 0.1, 0.1, 1, 0.1, -1])
        let knn = try KNNClassifier(
            trainFeatures: train, trainLabels: [0, 1, 1], classCount: 3,
            configuration: KNNConfiguration(k: 20, temperature: 0.07))
        #expect(knn.neighbourCount == 3)
        let scores = try knn.scores(for: Tensor(shape: [1, 2], [2, 0]))
        let near = 1 / 1.01.squareRoot(), far = 0.1 / 1.01.squareRoot()
        let expected = [exp(near / 0.07), 2 * exp(far / 0.07), 0]
        #expect(closeness(scores.storage, expected, atol: 0, rtol: 1e-5).ok, "\(scores.storage) vs \(expected)")
        // With k = 2 only the closest two (the label-0 row, then the earlier label-1 row) vote.
        let k2 = try KNNClassifier(
            trainFeatures: train, trainLabels: [0, 1, 1], classCount: 3,
            configuration: KNNConfiguration(k: 2, temperature: 1))
        let s2 = try k2.scores(for: Tensor(shape: [1, 2], [1, 0]))
        #expect(closeness(s2.storage, [exp(near), exp(far), 0], atol: 0, rtol: 1e-5).ok, "\(s2.storage)")
        #expect(k2.neighbours(similarityRow: [0.5, 0.9, 0.5, 0.2][...]).map(\.index) == [1, 0])
    }

    @Test("scores are bit-identical for every chunk size, whichever BLAS kernel runs")
    func chunking() throws {
        // 1100 training rows span three training blocks (the last one partial) and 150 queries three query
        // blocks, so chunks of 1, 7, 65 or 200 rows cut across block edges that a chunk of 1000 does not.
        var rng = SplitMix64(seed: 3)
        let (train, labels) = SyntheticFeatures.random(rows: 1100, classes: 5, dimensions: 24, using: &rng)
        let (val, _) = SyntheticFeatures.random(rows: 150, classes: 5, dimensions: 24, using: &rng)
        func scores(_ chunkRows: Int) throws -> Tensor {
            try KNNClassifier(
                trainFeatures: train, trainLabels: labels, classCount: 5,
                configuration: KNNConfiguration(chunkRows: chunkRows)
            ).scores(for: val)
        }
        let reference = try scores(1000)
        for chunkRows in [1, 7, 64, 65, 200] {
            let other = try scores(chunkRows)
            let differing = zip(other.storage, reference.storage).filter { $0 != $1 }.count
            #expect(differing == 0, "chunkRows \(chunkRows): \(differing) of \(reference.count) scores differ from chunkRows 1000")
        }
    }

    @Test("bad inputs throw errors that name the problem")
    func validation() {
        let train = Tensor(shape: [2, 3], [1, 0, 0, 0, 1, 0])
        #expect(throws: EvaluateError.labelOutOfRange(what: "train labels", index: 1, label: 4, classCount: 2)) {
            try KNNClassifier(trainFeatures: train, trainLabels: [0, 4], classCount: 2)
        }
        #expect(throws: EvaluateError.labelCountMismatch(what: "train labels", labels: 1, rows: 2)) {
            try KNNClassifier(trainFeatures: train, trainLabels: [0], classCount: 2)
        }
        #expect(throws: EvaluateError.self) {
            try KNNClassifier(trainFeatures: train, trainLabels: [0, 1], classCount: 2).scores(for: Tensor(shape: [1, 4]))
        }
        #expect(throws: EvaluateError.nonFiniteFeatures(what: "train", row: 1)) {
            try KNNClassifier(trainFeatures: Tensor(shape: [2, 1], [0, .nan]), trainLabels: [0, 1], classCount: 2)
        }
        #expect(throws: EvaluateError.self) {
            try KNNClassifier(trainFeatures: train, trainLabels: [0, 1], classCount: 2, configuration: KNNConfiguration(temperature: 0))
        }
    }
}
