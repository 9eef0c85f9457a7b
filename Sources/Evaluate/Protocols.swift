import Tensor

/// The k-NN protocol end to end: fit on `train`, score `val`, and summarise.
/// Features are [N, D] rows; labels lie in 0..<classCount.
public func evaluateKNN(
    run: String, trainFeatures: Tensor, trainLabels: [Int], valFeatures: Tensor,
    valLabels: [Int], classCount: Int, configuration: KNNConfiguration = KNNConfiguration(),
    subsets: [ClassSubset] = []
) throws -> EvaluationResult {
    let knn = try KNNClassifier(
        trainFeatures: trainFeatures, trainLabels: trainLabels, classCount: classCount,
        configuration: configuration)
    let scores = try knn.scores(for: valFeatures)
    let metrics = try ClassificationMetrics(scores: scores, labels: valLabels, subsets: subsets)
    return EvaluationResult(
        run: run, evaluationProtocol: .knn, metrics: metrics, trainCount: trainLabels.count,
        classCount: classCount, knn: configuration)
}

/// The linear-probe protocol end to end: train on `train`, score `val`, and summarise (with the loss curve).
public func evaluateLinearProbe(
    run: String, trainFeatures: Tensor, trainLabels: [Int], valFeatures: Tensor,
    valLabels: [Int], classCount: Int,
    configuration: LinearProbeConfiguration = LinearProbeConfiguration(),
    subsets: [ClassSubset] = []
) throws -> EvaluationResult {
    let training = try LinearProbe.train(
        features: trainFeatures, labels: trainLabels, classCount: classCount,
        configuration: configuration)
    let logits = try training.probe.logits(for: valFeatures)
    let metrics = try ClassificationMetrics(scores: logits, labels: valLabels, subsets: subsets)
    return EvaluationResult(
        run: run, evaluationProtocol: .linear, metrics: metrics, trainCount: trainLabels.count,
        classCount: classCount, linear: configuration, trainingLoss: training.lossCurve)
}

/// The multi-view test end to end: merge the views (docs/method.md §6.6) and summarise per video.
public func evaluateMultiView(
    run: String, views: [ViewPrediction],
    subsets: [ClassSubset] = []
) throws -> EvaluationResult {
    let merged = try mergeViews(views)
    let metrics = try merged.metrics(subsets: subsets)
    return EvaluationResult(
        run: run, evaluationProtocol: .multiView, metrics: metrics, trainCount: 0,
        classCount: merged.probabilities.shape[1])
}
