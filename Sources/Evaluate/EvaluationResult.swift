import Foundation

/// Which evaluation produced a result.
public enum EvaluationProtocol: String, Codable, Sendable, CaseIterable {
    /// Weighted k-NN on frozen features.
    case knn
    /// Linear probe (logistic regression) on frozen features.
    case linear
    /// Multi-view test of a fine-tuned classifier (softmax averaged over views).
    case multiView = "multi-view"
}

/// One evaluation's numbers, as written to `results.json` and shown in the terminal table.
/// Accuracies are percentages (0–100).
public struct EvaluationResult: Codable, Equatable, Sendable {
    /// A label for the table, e.g. the checkpoint or run name.
    public var run: String
    public var evaluationProtocol: EvaluationProtocol
    public var top1: Double
    public var top5: Double
    public var subsets: [SubsetAccuracy]
    public var perClass: [ClassAccuracy]
    /// Training rows (0 for the multi-view test), evaluated rows (videos for the multi-view test), classes.
    public var trainCount: Int
    public var evaluatedCount: Int
    public var classCount: Int
    /// The settings used, for the protocol that has them.
    public var knn: KNNConfiguration?
    public var linear: LinearProbeConfiguration?
    /// Mean training loss per epoch (linear probe only).
    public var trainingLoss: [Double]?
    /// Manifest videos (training and evaluated) that failed to decode and were left out of this result; absent in
    /// results written before the list was kept.
    public var skippedVideos: [SkippedVideo]?

    enum CodingKeys: String, CodingKey {
        case run, evaluationProtocol = "protocol", top1, top5, subsets, perClass, trainCount, evaluatedCount,
            classCount, knn, linear, trainingLoss, skippedVideos
    }

    public init(
        run: String, evaluationProtocol: EvaluationProtocol, metrics: ClassificationMetrics,
        trainCount: Int, classCount: Int, knn: KNNConfiguration? = nil,
        linear: LinearProbeConfiguration? = nil, trainingLoss: [Double]? = nil
    ) {
        self.run = run
        self.evaluationProtocol = evaluationProtocol
        self.top1 = metrics.top1
        self.top5 = metrics.top5
        self.subsets = metrics.subsets
        self.perClass = metrics.perClass
        self.trainCount = trainCount
        self.evaluatedCount = metrics.count
        self.classCount = classCount
        self.knn = knn
        self.linear = linear
        self.trainingLoss = trainingLoss
    }

    /// Pretty-printed JSON with sorted keys (stable across runs).
    public func jsonData() throws -> Data {
        try EvaluationResult.encoder.encode(self)
    }

    /// A result read back from `jsonData()`.
    public static func decode(_ data: Data) throws -> EvaluationResult {
        do { return try JSONDecoder().decode(EvaluationResult.self, from: data) } catch {
            throw EvaluateError.invalidResultJSON(reason: "\(error)")
        }
    }

    /// Pretty-printed JSON of several results, as an array.
    public static func jsonData(_ results: [EvaluationResult]) throws -> Data {
        try encoder.encode(results)
    }

    static var encoder: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        return e
    }
}
