import Evaluate
import Foundation

/// The lines that tell a user which videos an evaluation left out, as extraction reports its failed videos: the
/// count against the manifest, then the first few with their reasons.
enum SkippedVideoReport {
    /// How many skipped videos are named one by one; the rest are counted.
    static let namedCount = 5

    /// Nothing when no video was skipped.
    static func lines(_ skipped: [SkippedVideo], of total: Int, recordedIn file: String) -> [String] {
        guard !skipped.isEmpty else { return [] }
        var lines = [
            "skipped \(skipped.count) of \(total) videos that failed to decode; the results are over the other "
                + "\(total - skipped.count) (all listed in \(file))"
        ]
        lines += skipped.prefix(namedCount).map { "  skipped \($0.path): \($0.reason)" }
        if skipped.count > namedCount { lines.append("  … and \(skipped.count - namedCount) more") }
        return lines
    }
}
