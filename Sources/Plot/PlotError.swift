/// Errors raised while building images, rendering charts or writing PNG files.
///
/// Each `description` says what was wrong and what to change.
public enum PlotError: Error, Equatable, CustomStringConvertible {
    /// An image was requested with a non-positive or too large size.
    case invalidImageSize(width: Int, height: Int)
    /// A pixel buffer does not hold width × height × channels bytes.
    case pixelCountMismatch(expected: Int, actual: Int)
    /// A chart has nothing to draw (no series, no categories, or only non-finite values).
    case emptyChart(title: String)
    /// The chart's data cannot be drawn as given (ragged matrix, non-positive value on a log axis, …).
    case invalidData(title: String, reason: String)
    /// Writing the PNG failed; the destination was left as it was.
    case writeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case let .invalidImageSize(width, height):
            return "image size \(width)×\(height) is invalid; use a width and height between 1 and \(Image.maximumSide)."
        case let .pixelCountMismatch(expected, actual):
            return "pixel buffer holds \(actual) bytes but the image needs \(expected); pass width × height × channels bytes."
        case let .emptyChart(title):
            return "chart '\(title)' has no finite data to draw; add at least one series or value with finite numbers."
        case let .invalidData(title, reason):
            return "chart '\(title)' cannot be drawn: \(reason)."
        case let .writeFailed(path, reason):
            return "cannot write '\(path)': \(reason). Check that the directory exists and is writable."
        }
    }
}
