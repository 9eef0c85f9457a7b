import Checkpoint
import FeatureExtract
import FeatureStore
import Foundation
import TestSupport
import Testing
import VideoIO

@Suite("extract-features", .serialized)
struct ExtractionTests {
    /// A scratch folder with a manifest of the fixture's tiny lossless clip (label 0) and the path of a cache to write.
    static func tinyClipManifest(_ tag: String) throws -> (dir: URL, manifest: URL, out: URL) {
        let dir = try Fixtures.temporaryDirectory(tag)
        let manifest = dir.appendingPathComponent("tiny.csv")
        try "tiny_clip.mkv 0\n".write(to: manifest, atomically: true, encoding: .utf8)
        return (dir, manifest, dir.appendingPathComponent("tiny.h5"))
    }

    @Test("a rerun of a complete extraction counts every row as already done")
    func rerunOfACompleteCacheCountsItsRows() throws {
        let (dir, manifest, out) = try Self.tinyClipManifest("rerun-count")
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = try ExtractionFixtures.config(.video, manifest: manifest, dataRoot: Fixtures.url(""), out: out)
        let first = try Extractor(config: config).run { _ in }
        #expect(first.rowsWritten == 1 && first.rowsAlreadyDone == 0)
        let again = try Extractor(config: config).run { _ in }
        #expect(again.rowsWritten == 0 && again.rowsAlreadyDone == 1, "\(again.rowsAlreadyDone) already done")
    }

    @Test("the tiny lossless clip through both fixture teachers gives the original's features")
    func tinyClipEndToEnd() throws {
        let (dir, manifest, out) = try Self.tinyClipManifest("tiny")
        defer { try? FileManager.default.removeItem(at: dir) }
        for teacher in [TeacherChoice.image, .video] {
            let summary = try Extractor(config: ExtractionFixtures.config(teacher, manifest: manifest, dataRoot: Fixtures.url(""), out: out)).run {
                _ in
            }
            #expect(summary.rowsWritten == 1 && summary.videosFailed == 0)
        }
        let io = try SafeTensors.read(Fixtures.url("tiny_clip_io.safetensors"))
        let reader = try FeatureStoreReader(at: out)
        #expect(try reader.view(row: 0).frames == Array(0..<16))
        for (name, key) in [("image", "image_teacher/features_strided"), ("video", "video_teacher/features")] {
            var values = [Float](repeating: 0, count: 128 * (name == "image" ? 64 : 40))
            try reader.read(row: 0, teacher: name, into: &values)
            let r = closeness(values, try io.floats(key), atol: 1e-4, rtol: 1e-4, label: name)
            #expect(r.ok, "\(r)")
        }
    }

    @Test("bad video files are recorded with their reason and the run goes on")
    func badInputs() throws {
        let dir = try Fixtures.temporaryDirectory("bad")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.copyItem(at: Fixtures.url("tiny_clip.mkv"), to: dir.appendingPathComponent("good.mkv"))
        try "not a video".write(to: dir.appendingPathComponent("text.mp4"), atomically: true, encoding: .utf8)
        #expect(FileManager.default.createFile(atPath: dir.appendingPathComponent("empty.mp4").path, contents: Data()))
        let manifest = dir.appendingPathComponent("m.csv"), out = dir.appendingPathComponent("c.h5")
        try "missing 0\ntext.mp4 1\ngood.mkv 2\nempty.mp4 3\n".write(to: manifest, atomically: true, encoding: .utf8)
        let summary = try Extractor(config: ExtractionFixtures.config(.video, manifest: manifest, dataRoot: dir, out: out)).run { _ in }
        #expect(summary.rowsWritten == 1 && summary.videosFailed == 3)
        let reader = try FeatureStoreReader(at: out)
        #expect(try reader.videoStatuses() == [.failed, .failed, .ok, .failed])
        let errors = try reader.videoErrors()
        #expect(errors[2] == "" && errors[0].contains("missing") && !errors[1].isEmpty && !errors[3].isEmpty)
    }

    @Test("a cache made for another manifest, teacher checkpoint or geometry is refused, naming the field")
    func refusesMismatch() throws {
        let (dir, manifest, out) = try Self.tinyClipManifest("mismatch")
        defer { try? FileManager.default.removeItem(at: dir) }
        _ = try Extractor(config: ExtractionFixtures.config(.video, manifest: manifest, dataRoot: Fixtures.url(""), out: out)).run { _ in }
        var geometry = try ExtractionFixtures.config(.video, manifest: manifest, dataRoot: Fixtures.url(""), out: out)
        geometry.samplingRate = 2
        #expect(Fixtures.errorMessage { _ = try Extractor(config: geometry) }.contains("sampling_rate"))
        let other = dir.appendingPathComponent("other.csv")
        try "tiny_clip.mkv 1\n".write(to: other, atomically: true, encoding: .utf8)
        #expect(
            Fixtures.errorMessage {
                _ = try Extractor(config: ExtractionFixtures.config(.video, manifest: other, dataRoot: Fixtures.url(""), out: out))
            }
            .contains("manifest"))
        var otherCheckpoint = try ExtractionFixtures.config(.video, manifest: manifest, dataRoot: Fixtures.url(""), out: out)
        otherCheckpoint.checkpoint = Fixtures.url("video_teacher_weights.safetensors")  // same weights, another file
        #expect(Fixtures.errorMessage { _ = try Extractor(config: otherCheckpoint) }.contains("checkpoint"))
        var dtype = try ExtractionFixtures.config(.video, manifest: manifest, dataRoot: Fixtures.url(""), out: out)
        dtype.dtype = .float16
        #expect(Fixtures.errorMessage { _ = try Extractor(config: dtype) }.contains("dtype"))
    }

    @Test("two shards merged equal one process, and a second teacher reuses the stored views")
    func shardsAndSecondTeacher() throws {
        let dir = try Fixtures.temporaryDirectory("shards")
        defer { try? FileManager.default.removeItem(at: dir) }
        let manifest = try ExtractionFixtures.dataset(in: dir.appendingPathComponent("data"))
        let root = dir.appendingPathComponent("data")
        let single = dir.appendingPathComponent("single.h5")
        for teacher in [TeacherChoice.video, .image] {
            _ = try Extractor(
                config: ExtractionFixtures.config(
                    teacher, manifest: manifest, dataRoot: root, out: single, view: .random,
                    samplingRate: 2, float32: false, views: 2)
            ).run { _ in }
        }
        var shards: [URL] = []
        for i in 0..<2 {
            let url = dir.appendingPathComponent("shard\(i).h5")
            for teacher in [TeacherChoice.video, .image] {
                _ = try Extractor(
                    config: ExtractionFixtures.config(
                        teacher, manifest: manifest, dataRoot: root, out: url, view: .random,
                        samplingRate: 2, float32: false, shard: (i, 2), views: 2)
                ).run { _ in }
            }
            shards.append(url)
        }
        let merged = dir.appendingPathComponent("merged.h5")
        _ = try FeatureStoreMerge.merge(shards: shards, into: merged)
        #expect(try ChildProcess.h5diff(single, merged) == 0)
        let summary = try FeatureStoreInspection.summary(of: single)
        #expect(summary.isComplete && summary.teachers.count == 2 && summary.rowCount == 20)
    }
}
