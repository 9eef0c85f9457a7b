import Foundation
import TestSupport
import Testing
import VideoIO

/// What a manifest line may hold: line endings from any platform, and the characters and labels that are refused
/// with the line's number instead of reaching a C API or a cache in another form.
@Suite("manifest lines, line endings and forbidden characters")
struct ManifestLineTests {
    static let expected = [
        ManifestEntry(path: "a/x", label: 0, resolvedPath: "/r/a/x.mp4"),
        ManifestEntry(path: "b.mkv", label: 12, resolvedPath: "/r/b.mkv")
    ]

    @Test(
        "LF, CRLF, lone CR, mixed endings and a UTF-8 byte order mark all give the same entries",
        arguments: [
            "a/x 0\nb.mkv 12\n", "a/x 0\r\nb.mkv 12\r\n", "a/x 0\rb.mkv 12\r", "a/x 0\r\nb.mkv 12",
            "a/x 0\n\r\n\rb.mkv 12\n", "\u{FEFF}a/x 0\r\nb.mkv 12\r\n", "a/x 0\r\n\r\nb.mkv 12\r\n\r\n"
        ])
    func lineEndings(text: String) throws {
        #expect(try Manifest.parse(text, dataRoot: "/r") == Self.expected)
    }

    @Test("a CRLF manifest file with a BOM loads, and its errors count CRLF as one line break")
    func crlfFile() throws {
        let dir = try Fixtures.temporaryDirectory("manifest-crlf")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("train.csv")
        try Data([0xEF, 0xBB, 0xBF] + Array("a/x 0\r\nb.mkv 12\r\n".utf8)).write(to: url)
        #expect(try Manifest.load(from: url, dataRoot: "/r") == Self.expected)
        try Data("a/x 0\r\n\r\nb.mkv twelve\r\nc 1\r\n".utf8).write(to: url)
        let error = #expect(throws: ManifestError.self) { try Manifest.load(from: url) }
        #expect(error?.line == 3)
        #expect(error?.description.contains("train.csv:3") == true)
    }

    @Test(
        "a NUL, tab, escape, DEL, C1 control or Unicode line break in a line is refused with its line and byte",
        arguments: [
            ("a\u{0}b.mp4 1", "NUL", 2), ("a.mp4\t1", "tab", 6), ("a\u{1B}[31m.mp4 1", "U+001B", 2),
            ("a\u{7F}.mp4 1", "U+007F", 2), ("a\u{85}.mp4 1", "U+0085", 2), ("a\u{2028}.mp4 1", "U+2028", 2),
            ("a.mp4 1\u{0}", "NUL", 8), ("a\u{2029}.mp4 1", "U+2029", 2), ("\u{FEFF}a.mp4 1", "U+FEFF", 1)
        ])
    func forbiddenCharacters(line: String, name: String, byte: Int) {
        let error = #expect(throws: ManifestError.self) { try Manifest.parse("ok.mp4 0\n" + line + "\nok2 1\n") }
        #expect(error?.line == 2)
        #expect(error?.reason.contains(name) == true, "\(error?.reason ?? "")")
        #expect(error?.reason.contains("byte \(byte) ") == true, "\(error?.reason ?? "")")
    }

    @Test("a space followed by a combining mark still separates fields")
    func spaceBeforeCombiningMark() {
        // As Characters, " \u{301}" is one grapheme that is not " ", so a Character split kept the space in the path.
        let error = #expect(throws: ManifestError.self) { try Manifest.parse("a \u{301}b.mp4 1\n") }
        #expect(error?.line == 1)
        #expect(error?.reason.contains("found 3") == true, "\(error?.reason ?? "")")
    }

    @Test(
        "bytes that are not UTF-8 are refused with the line and byte, also through load",
        arguments: [[0xFF], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xE2, 0x82], [0xF4, 0x90, 0x80, 0x80]] as [[UInt8]])
    func invalidUTF8(bad: [UInt8]) throws {
        let bytes = Array("ok.mp4 0\nab".utf8) + bad + Array(".mp4 1\n".utf8)
        let error = #expect(throws: ManifestError.self) { try Manifest.parse(bytes: bytes) }
        #expect(error?.line == 2)
        #expect(error?.reason.contains("byte 3 ") == true && error?.reason.contains("UTF-8") == true, "\(error?.reason ?? "")")

        let dir = try Fixtures.temporaryDirectory("manifest-utf8")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("val.csv")
        try Data(bytes).write(to: url)
        let loaded = #expect(throws: ManifestError.self) { try Manifest.load(from: url) }
        #expect(loaded?.line == 2 && loaded?.file == url.path)
    }

    @Test(
        "a label with a plus sign, leading zeros, or outside Int is refused with the line and what to write",
        arguments: [
            ("+5", "write it as 5"), ("007", "write it as 7"), ("-0", "write it as 0"), ("-007", "write it as -7"),
            ("9223372036854775808", "64-bit"), ("-9223372036854775809", "64-bit"),
            ("99999999999999999999999999", "64-bit"), ("-", "not an integer"), ("+", "not an integer"),
            ("1e3", "not an integer"), ("٣", "not an integer"), ("--1", "not an integer")
        ])
    func badLabels(label: String, message: String) {
        let error = #expect(throws: ManifestError.self) { try Manifest.parse("a.mp4 1\nb.mp4 \(label)\n") }
        #expect(error?.line == 2)
        #expect(error?.reason.contains(message) == true, "\(error?.reason ?? "")")
    }

    @Test("labels at the ends of Int, zero and negatives parse, and format writes them back unchanged")
    func extremeLabels() throws {
        let text = "a 9223372036854775807\nb -9223372036854775808\nc 0\nd -3\n"
        let entries = try Manifest.parse(text)
        #expect(entries.map(\.label) == [Int.max, Int.min, 0, -3])
        #expect(Manifest.format(entries.map { ($0.path, $0.label) }) == text)
    }

    @Test("paths keep non-ASCII characters byte for byte")
    func unicodePaths() throws {
        // "é" precomposed and decomposed are different files on Linux; both stay as written.
        let entries = try Manifest.parse("caf\u{E9}.mp4 0\ncafe\u{301}.mp4 1\n日本/動画 2\n")
        #expect(
            entries.map { Array($0.path.utf8) } == [
                Array("caf\u{E9}.mp4".utf8), Array("cafe\u{301}.mp4".utf8),
                Array("日本/動画".utf8)
            ])
        #expect(entries[2].resolvedPath == "日本/動画.mp4")
    }
}
