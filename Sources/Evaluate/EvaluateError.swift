/// Errors raised by the evaluation protocols. Each `description` says what was wrong and what to do next.
public enum EvaluateError: Error, Equatable, CustomStringConvertible {
    /// A feature matrix has no rows or no columns.
    case emptyFeatures(what: String)
    /// A tensor does not have the shape the protocol needs.
    case shapeMismatch(what: String, expected: String, actual: [Int])
    /// The number of labels differs from the number of feature rows.
    case labelCountMismatch(what: String, labels: Int, rows: Int)
    /// A label lies outside 0..<classCount.
    case labelOutOfRange(what: String, index: Int, label: Int, classCount: Int)
    /// A feature value is NaN or infinite.
    case nonFiniteFeatures(what: String, row: Int)
    /// A setting is outside its valid range.
    case invalidSetting(name: String, value: String, expected: String)
    /// Training the linear probe produced a NaN or infinite loss.
    case nonFiniteLoss(epoch: Int)
    /// Two views of the same video disagree on its label.
    case inconsistentLabel(video: String, first: Int, second: Int)
    /// Two views carry different numbers of logits.
    case logitCountMismatch(video: String, expected: Int, actual: Int)
    /// A result file could not be decoded.
    case invalidResultJSON(reason: String)
    /// No video of a set could be decoded.
    case noDecodableVideo(what: String, count: Int, firstFailure: String)

    public var description: String {
        switch self {
        case let .emptyFeatures(what):
            return "\(what) features are empty; extract features for at least one clip before evaluating."
        case let .shapeMismatch(what, expected, actual):
            return "\(what) has shape \(actual) but \(expected) is needed; check that train and val features come from the same model and layer."
        case let .labelCountMismatch(what, labels, rows):
            return "\(what): \(labels) labels for \(rows) feature rows; pass one label per row (same order as the features)."
        case let .labelOutOfRange(what, index, label, classCount):
            return "\(what): label \(label) at row \(index) is outside 0..<\(classCount); pass the right class count or fix the manifest."
        case let .nonFiniteFeatures(what, row):
            return "\(what) features hold a NaN or infinite value in row \(row); re-extract that clip's features."
        case let .invalidSetting(name, value, expected):
            return "\(name) = \(value) is invalid; use \(expected)."
        case let .nonFiniteLoss(epoch):
            return "linear probe loss became NaN or infinite at epoch \(epoch); lower the learning rate or check the features for huge values."
        case let .inconsistentLabel(video, first, second):
            return "views of video '\(video)' carry labels \(first) and \(second); every view of a video must have the same label."
        case let .logitCountMismatch(video, expected, actual):
            return
                "a view of video '\(video)' has \(actual) logits but earlier views have \(expected); all views must come from the same classifier head."
        case let .invalidResultJSON(reason):
            return "cannot decode evaluation result JSON: \(reason). Pass a file written by EvaluationResult.jsonData()."
        case let .noDecodableVideo(what, count, firstFailure):
            return
                "none of the \(count) videos of the \(what) could be decoded (the first: \(firstFailure)); check --data-root and the manifest's paths."
        }
    }
}
