import Foundation

/// One line of an annotation file: a video and its integer label.
public struct ManifestEntry: Equatable, Sendable, Codable {
    /// The path exactly as written in the manifest (used as the video's name in caches and reports).
    public var path: String
    /// The class label (parsed but unused in pre-training, like the original).
    public var label: Int
    /// The file to open: `dataRoot/path`, with `.mp4` appended when the last component has no `.`.
    public var resolvedPath: String

    public init(path: String, label: Int, resolvedPath: String) {
        self.path = path
        self.label = label
        self.resolvedPath = resolvedPath
    }
}

/// A manifest line that does not parse.
public struct ManifestError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The manifest file (or "<text>" when parsing a string).
    public let file: String
    /// 1-based line number; 0 when the file itself could not be read.
    public let line: Int
    /// What is wrong with the line.
    public let reason: String

    public var description: String {
        let place = line > 0 ? "\(file):\(line)" : file
        return "\(place): \(reason). Each line must be `<path> <integer label>` separated by one space."
    }
}

/// Annotation files in the original format (MVD-SPEC §6.1): `<path> <label>` per line, one space, no header.
public enum Manifest {
    /// Parses manifest text. Empty lines (and a trailing newline) are skipped; any other line must be
    /// exactly two fields separated by a single space, the second an integer.
    public static func parse(_ text: String, dataRoot: String? = nil, file: String = "<text>") throws(ManifestError)
        -> [ManifestEntry]
    {
        var entries: [ManifestEntry] = []
        var lineNumber = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
            if line.isEmpty { continue }
            let fields = line.split(separator: " ", omittingEmptySubsequences: false)
            guard fields.count == 2, !fields[0].isEmpty else {
                throw ManifestError(file: file, line: lineNumber,
                                    reason: "expected 2 fields separated by one space, found \(fields.count): \"\(line)\"")
            }
            guard let label = Int(fields[1]) else {
                throw ManifestError(file: file, line: lineNumber, reason: "label \"\(fields[1])\" is not an integer")
            }
            let path = String(fields[0])
            entries.append(ManifestEntry(path: path, label: label, resolvedPath: resolve(path, dataRoot: dataRoot)))
        }
        return entries
    }

    /// Reads and parses a manifest file.
    public static func load(from url: URL, dataRoot: String? = nil) throws(ManifestError) -> [ManifestEntry] {
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw ManifestError(file: url.path, line: 0, reason: "cannot read the file (\(error.localizedDescription))")
        }
        return try parse(text, dataRoot: dataRoot, file: url.path)
    }

    /// Manifest text for `(path, label)` pairs, one line each, newline-terminated.
    public static func format(_ rows: [(path: String, label: Int)]) -> String {
        rows.map { "\($0.path) \($0.label)\n" }.joined()
    }

    /// `dataRoot/path` (or `path` when no root is given or `path` is absolute), with `.mp4` appended when the
    /// last path component has no `.` — the original's rule.
    public static func resolve(_ path: String, dataRoot: String?) -> String {
        var joined = path
        if let root = dataRoot, !root.isEmpty, !path.hasPrefix("/") {
            joined = root.hasSuffix("/") ? root + path : root + "/" + path
        }
        let lastComponent = joined.split(separator: "/").last.map(String.init) ?? joined
        if !lastComponent.contains(".") { joined += ".mp4" }
        return joined
    }
}
