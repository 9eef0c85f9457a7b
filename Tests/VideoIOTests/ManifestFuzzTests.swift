import Foundation
import TestSupport
import Testing
import VideoIO

/// Mutated manifests must either parse into entries that keep the format's promises or throw a `ManifestError`;
/// a crash, trap or hang is a bug.
@Suite("manifest parser under mutated input")
struct ManifestFuzzTests {
    static let seeds: [String] = [
        "abseiling/-3E7DNxSYMY_000016_000026 0\nclips/b.webm 3\n/abs/c 7\n\n",
        "a/x 0\r\nb.mkv 12\r\n\r\nc -1\r\n",
        "\u{FEFF}caf\u{E9}/v.mp4 399\rz 9223372036854775807\r",
        "日本/動画 2\nx 1"
    ]

    @Test("inputs that once broke a promise still parse into well-formed entries or throw ManifestError")
    func regressions() throws {
        let inputs = MutationFuzzer.regressions("manifest")
        #expect(!inputs.isEmpty, "Tests/Fixtures/fuzz/manifest/ is missing")
        for (name, bytes) in inputs {
            #expect(Self.check(bytes).violations.isEmpty, "\(name): \(Self.check(bytes).violations)")
        }
    }

    @Test("mutated manifests parse into well-formed entries or throw ManifestError")
    func fuzz() throws {
        let corpus = Self.seeds.map { Array($0.utf8) } + MutationFuzzer.regressions("manifest").map(\.bytes)
        var fuzzer = MutationFuzzer(target: "manifest", corpus: corpus)
        var violations: [String] = []
        let summary = fuzzer.run(maxIterations: 50_000_000) { bytes in
            let (accepted, found) = Self.check(bytes)
            violations += found
            if violations.count > 10 {
                violations.append("(stopped)")
                throw CancellationError()
            }
            if !accepted { throw CancellationError() }
        }
        #expect(violations.isEmpty, "\(violations.prefix(10))")
        #expect(summary.iterations > 100, "\(summary)")
        #expect(summary.accepted > 0 && summary.rejected > 0, "\(summary)")
    }

    /// Whether `bytes` parse, and a description of each promise broken: an accepted manifest's entries keep
    /// those of `violations`, and a refused one names its line.
    static func check(_ bytes: [UInt8]) -> (accepted: Bool, violations: [String]) {
        do {
            let entries = try Manifest.parse(bytes: bytes, dataRoot: "/data")
            return (true, violations(entries, of: bytes))
        } catch {
            return (false, error.line < 1 ? ["error without a line number: \(error)"] : [])
        }
    }

    /// The promises an accepted manifest keeps; a description of each one broken.
    static func violations(_ entries: [ManifestEntry], of bytes: [UInt8]) -> [String] {
        var found: [String] = []
        let lineBreaks = bytes.filter { $0 == 0x0A || $0 == 0x0D }.count
        if entries.count > lineBreaks + 1 { found.append("\(entries.count) entries from \(lineBreaks) line breaks") }
        for entry in entries {
            let scalars = entry.path.unicodeScalars
            if entry.path.isEmpty
                || scalars.contains(where: {
                    $0 == " " || $0.properties.generalCategory == .control
                        || $0.properties.generalCategory == .lineSeparator || $0.properties.generalCategory == .paragraphSeparator
                })
            {
                found.append("path \(Array(entry.path.utf8)) is empty or holds a space, control character or line break")
            }
            if entry.resolvedPath != Manifest.resolve(entry.path, dataRoot: "/data") {
                found.append("resolved path \(entry.resolvedPath) of \(entry.path)")
            }
        }
        // An accepted manifest is written back by `format` as text that parses to the same entries.
        let rewritten = Manifest.format(entries.map { ($0.path, $0.label) })
        if (try? Manifest.parse(rewritten, dataRoot: "/data")) != entries { found.append("format round trip of \(entries)") }
        // Valid UTF-8 gives the same answer through the String entry point.
        if let text = String(validating: bytes, as: UTF8.self),
            (try? Manifest.parse(text, dataRoot: "/data")) != entries
        {
            found.append("String and byte parses differ for \(bytes)")
        }
        return found
    }
}
