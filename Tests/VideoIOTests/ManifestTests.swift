import Foundation
import TestSupport
import Testing
import VideoIO

@Suite("manifests in the original format")
struct ManifestTests {
    @Test("paths join the data root and get .mp4 when they have no extension")
    func parse() throws {
        let text = "abseiling/xyz 0\nclips/b.webm 3\n/abs/c 7\n\n"
        let entries = try Manifest.parse(text, dataRoot: "/data/k400")
        #expect(entries.map(\.path) == ["abseiling/xyz", "clips/b.webm", "/abs/c"])
        #expect(entries.map(\.label) == [0, 3, 7])
        #expect(entries.map(\.resolvedPath) == ["/data/k400/abseiling/xyz.mp4", "/data/k400/clips/b.webm", "/abs/c.mp4"])
    }

    @Test(
        "a line with two spaces, a missing label or a non-integer label names its file and line",
        arguments: ["a.mp4 1\nb.mp4  2\n", "a.mp4 1\nb.mp4\n", "a.mp4 1\nb.mp4 x\n", "a.mp4 1\nb.mp4 2 3\n"])
    func badLine(text: String) throws {
        let dir = try Fixtures.temporaryDirectory("manifest")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("train.csv")
        try text.write(to: url, atomically: true, encoding: .utf8)
        let error = #expect(throws: ManifestError.self) { try Manifest.load(from: url) }
        #expect(error?.line == 2)
        #expect(error?.file == url.path)
        #expect(error?.description.contains("train.csv:2") == true)
    }

    @Test("format writes lines that parse back")
    func roundTrip() throws {
        let text = Manifest.format([("a/b.mp4", 1), ("c.mkv", 0)])
        #expect(text == "a/b.mp4 1\nc.mkv 0\n")
        #expect(try Manifest.parse(text).map(\.label) == [1, 0])
    }

    @Test("an unreadable manifest is an error with line 0")
    func missing() {
        let error = #expect(throws: ManifestError.self) { try Manifest.load(from: URL(fileURLWithPath: "/nonexistent/x.csv")) }
        #expect(error?.line == 0)
    }
}
