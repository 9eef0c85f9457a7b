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

/// Annotation files in the original format (docs/method.md §6.1): `<path> <label>` per line, one space, no header.
///
/// The text is read as bytes, not as Swift `Character`s: `"\r\n"` is a single `Character`, so splitting a
/// CRLF file on `"\n"` would never split it. Lines end with LF, CRLF or a lone CR (files from Windows and
/// old Mac tools), and a UTF-8 byte order mark at the start is skipped. Empty lines are skipped.
///
/// A line is refused, with its number, when it is not valid UTF-8 or holds a control character (NUL, tab,
/// escape, C1 controls), a Unicode line or paragraph separator, or a byte order mark: a NUL would cut the
/// path handed to C APIs (FFmpeg, HDF5) short of the one the cache records, and the others would make a path
/// that prints, logs or round-trips through `format` as something else. The label is a decimal integer
/// written the way `format` writes it — an optional `-`, no `+`, no leading zeros — so that a manifest has a
/// single spelling of each label and `007` cannot be read as octal by another tool; it must fit in `Int`.
public enum Manifest {
    /// Parses manifest text (see the type's notes for what a line may hold).
    public static func parse(
        _ text: String, dataRoot: String? = nil, file: String = "<text>"
    ) throws(ManifestError)
        -> [ManifestEntry]
    {
        try parse(bytes: Array(text.utf8), dataRoot: dataRoot, file: file)
    }

    /// Parses the raw bytes of a manifest file.
    public static func parse(
        bytes: [UInt8], dataRoot: String? = nil, file: String = "<bytes>"
    ) throws(ManifestError)
        -> [ManifestEntry]
    {
        var entries: [ManifestEntry] = []
        let start = bytes.starts(with: byteOrderMark) ? byteOrderMark.count : 0
        var lineNumber = 0
        var lineStart = start, i = start
        while lineStart < bytes.count {
            // Find the end of the line: LF, CR, or CR LF (one terminator).
            while i < bytes.count, bytes[i] != lineFeed, bytes[i] != carriageReturn { i += 1 }
            let lineEnd = i
            if i < bytes.count {
                i += (bytes[i] == carriageReturn && i + 1 < bytes.count && bytes[i + 1] == lineFeed) ? 2 : 1
            }
            lineNumber += 1
            let line = bytes[lineStart..<lineEnd]
            lineStart = i
            if line.isEmpty { continue }
            let fail = { (reason: String) in ManifestError(file: file, line: lineNumber, reason: reason) }
            let text = try checkedText(line, fail: fail)
            // Split on the space byte: as Characters, a space followed by a combining mark is one
            // grapheme that is not " ", and the path would keep a space.
            let fields = line.split(separator: space, omittingEmptySubsequences: false)
            guard fields.count == 2, !fields[0].isEmpty else {
                throw fail("expected 2 fields separated by one space, found \(fields.count): \(quoted(text))")
            }
            let label = try parseLabel(String(decoding: fields[1], as: UTF8.self), fail: fail)
            let path = String(decoding: fields[0], as: UTF8.self)
            entries.append(ManifestEntry(path: path, label: label, resolvedPath: resolve(path, dataRoot: dataRoot)))
        }
        return entries
    }

    /// Reads and parses a manifest file.
    public static func load(from url: URL, dataRoot: String? = nil) throws(ManifestError) -> [ManifestEntry] {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ManifestError(file: url.path, line: 0, reason: "cannot read the file (\(error.localizedDescription))")
        }
        return try parse(bytes: [UInt8](data), dataRoot: dataRoot, file: url.path)
    }

    private static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]
    private static let lineFeed: UInt8 = 0x0A, carriageReturn: UInt8 = 0x0D, space: UInt8 = 0x20

    /// The line as a String, or an error naming the first byte that is not valid UTF-8 or the first
    /// character a path or label may not hold.
    private static func checkedText(
        _ line: ArraySlice<UInt8>, fail: (String) -> ManifestError
    ) throws(ManifestError)
        -> String
    {
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = line.makeIterator()
        var column = 1  // 1-based byte offset in the line
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .emptyInput:
                return String(decoding: line, as: UTF8.self)
            case .error(let length):
                let shown = line.dropFirst(column - 1).prefix(length).map { String(format: "0x%02X", $0) }.joined(separator: " ")
                throw fail("byte \(column) (\(shown)) is not valid UTF-8; save the manifest as UTF-8")
            case .valid(let encoded):
                let scalar = UTF8.decode(encoded)
                if let name = forbiddenName(scalar) {
                    throw fail(
                        "byte \(column) is \(name), which a path or label may not contain; "
                            + "remove it (fields are separated by one space, lines end with LF or CRLF)")
                }
                column += encoded.count
            }
        }
    }

    /// A description of `scalar` if a manifest line may not contain it, else nil.
    private static func forbiddenName(_ scalar: Unicode.Scalar) -> String? {
        let hex = String(format: "U+%04X", scalar.value)
        switch scalar.value {
        case 0x00: return "a NUL byte (\(hex))"
        case 0x09: return "a tab (\(hex))"
        // Only the file's first bytes may be a byte order mark; one inside (say, from concatenated files)
        // would become an invisible first character of a path.
        case 0xFEFF: return "a byte order mark (\(hex)) after the start of the file"
        default: break
        }
        switch scalar.properties.generalCategory {
        case .control: return "the control character \(hex)"
        case .lineSeparator, .paragraphSeparator: return "the line break \(hex)"
        default: return nil
        }
    }

    /// The label field as an Int: `-?digits` in the spelling `String(Int)` gives.
    private static func parseLabel(_ field: String, fail: (String) -> ManifestError) throws(ManifestError) -> Int {
        let digits = field.hasPrefix("-") || field.hasPrefix("+") ? field.dropFirst() : Substring(field)
        guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            throw fail("label \(quoted(field)) is not an integer")
        }
        guard let value = Int(field) else {
            throw fail("label \(quoted(field)) does not fit in a 64-bit integer (\(Int.min)...\(Int.max))")
        }
        guard String(value) == field else {
            throw fail("label \(quoted(field)) has a plus sign or leading zeros; write it as \(value)")
        }
        return value
    }

    /// `text` in quotes, shortened so that an error about a huge line stays readable.
    private static func quoted<S: StringProtocol>(_ text: S) -> String {
        text.count <= 80 ? "\"\(text)\"" : "\"\(text.prefix(80))…\" (\(text.utf8.count) bytes)"
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
