import Foundation
import TestSupport
import Testing
import VideoIO

/// Labels are dense class indices: `Manifest.checkLabels` refuses negative and huge ones, naming the line.
@Suite struct ManifestLabelTests {
    func check(_ text: String) throws -> ManifestError? {
        let url = try Fixtures.temporaryDirectory("labels").appendingPathComponent("train.csv")
        try text.write(to: url, atomically: true, encoding: .utf8)
        do {
            try Manifest.checkLabels(try Manifest.load(from: url), file: url)
            return nil
        } catch {
            #expect(error.file == url.path)
            return error
        }
    }

    @Test("labels in 0..<maxClassCount pass")
    func goodLabels() throws {
        #expect(try check("a.mp4 0\nb.mp4 \(Manifest.maxClassCount - 1)\n") == nil)
    }

    @Test(
        "a negative or huge label is refused with its line, path and value",
        arguments: [-1, Manifest.maxClassCount, 100_000_000, 1 << 62, Int.max])
    func badLabels(_ label: Int) throws {
        let error = try #require(try check("a.mp4 0\n\nb.mp4 1\nc.mp4 \(label)\n"))
        #expect(error.line == 4, "\(error)")
        #expect(error.description.contains("label \(label) of c.mp4"), "\(error)")
    }
}
