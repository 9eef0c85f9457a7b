import ArgumentParser
import Foundation

/// Range checks of flag values, called from the commands' `validate()` so that a bad value is refused, with the
/// flag, the value and the accepted range, before any file or folder is created.
enum FlagChecks {
    /// The most compute threads `--threads` accepts.
    static let maxThreads = 1_024

    static func integer(_ flag: String, _ value: Int, in range: ClosedRange<Int>) throws {
        guard range.contains(value) else {
            throw ValidationError("\(flag) must be between \(range.lowerBound) and \(range.upperBound), got \(value)")
        }
    }

    static func threads(_ value: Int?) throws {
        if let value { try integer("--threads", value, in: 1...maxThreads) }
    }

    /// A finite number in `range`; `openBelow` excludes the lower bound (a learning rate of 0 trains nothing).
    static func number(_ flag: String, _ value: Double, in range: ClosedRange<Double>, openBelow: Bool = false) throws {
        guard value.isFinite, range.contains(value), !(openBelow && value == range.lowerBound) else {
            let lower = openBelow ? "(\(range.lowerBound)" : "[\(range.lowerBound)"
            throw ValidationError("\(flag) must be a finite number in \(lower), \(range.upperBound)], got \(value)")
        }
    }

    /// Refuses an output folder that cannot be created because a path on the way to it is not a folder, naming that
    /// path; FileManager would only say "NSCocoaErrorDomain error 512" once the run had started.
    static func outputFolder(_ folder: URL, flag: String = "--out") throws {
        var path = folder.standardizedFileURL
        while true {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path.path, isDirectory: &isDirectory) {
                guard isDirectory.boolValue else {
                    throw ValidationError(
                        "\(path.path) is not a directory, so \(flag) \(folder.path) cannot be created in it; "
                            + "choose an \(flag) whose folders are folders")
                }
                return
            }
            let parent = path.deletingLastPathComponent()
            guard parent.path != path.path else { return }
            path = parent
        }
    }

    /// Refuses to replace an existing file or folder unless `--overwrite` was given.
    static func refuseExisting(_ files: [URL], overwrite: Bool) throws {
        guard !overwrite, let existing = files.first(where: { FileManager.default.fileExists(atPath: $0.path) }) else { return }
        throw ValidationError("\(existing.path) already exists; pass --overwrite to replace it, or choose another --out")
    }
}
