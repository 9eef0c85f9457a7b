import Checkpoint
import FeatureExtract
import FeatureStore
import Foundation
import TestSupport
import Testing

@Suite("teacher outputs that cannot be stored", .serialized)
struct TeacherOutputFailureTests {
    /// The fixture image teacher with `edit` applied to its state dict, saved as a new .pth in `dir`.
    static func editedTeacher(in dir: URL, _ edit: (inout StateDict) throws -> Void) throws -> URL {
        var dict = try CheckpointFile.load(Fixtures.url("image_teacher_mae_checkpoint.pth"))
        try edit(&dict)
        let url = dir.appendingPathComponent("edited_teacher.pth")
        try TorchCheckpoint.write(dict, to: url)
        return url
    }

    /// Adds `amount` to element `index` of tensor `name`.
    static func add(_ amount: Float, to name: String, at index: Int, in dict: inout StateDict) throws {
        var values = try dict.floats(name)
        values[index] += amount
        dict[name] = TensorData(floats: values, shape: try dict.shape(of: name))
    }

    /// Runs the image teacher at `checkpoint` over a small dataset of 2 views per video; returns the summary and cache.
    static func extract(_ checkpoint: URL, in dir: URL, float32: Bool) throws -> (ExtractSummary, FeatureStoreReader) {
        let data = dir.appendingPathComponent(float32 ? "data32" : "data16")
        let manifest = try ExtractionFixtures.dataset(in: data)
        var config = try ExtractionFixtures.config(
            .image, manifest: manifest, dataRoot: data,
            out: dir.appendingPathComponent(float32 ? "f32.h5" : "f16.h5"),
            float32: float32, views: 2)
        config.checkpoint = checkpoint
        let summary = try Extractor(config: config).run { _ in }
        return (summary, try FeatureStoreReader(at: config.out))
    }

    @Test("a teacher whose output is not finite fails every video with the reason; no row is marked done")
    func nonFiniteOutput() throws {
        let dir = try Fixtures.temporaryDirectory("nan-teacher")
        defer { try? FileManager.default.removeItem(at: dir) }
        // Finite weights whose sums overflow float32 in the last block: the output holds infinities and NaNs.
        let checkpoint = try Self.editedTeacher(in: dir) { dict in
            try Self.add(.greatestFiniteMagnitude, to: "blocks.1.attn.proj.bias", at: 7, in: &dict)
            try Self.add(.greatestFiniteMagnitude, to: "blocks.1.mlp.fc2.bias", at: 7, in: &dict)
        }
        let (summary, reader) = try Self.extract(checkpoint, in: dir, float32: false)
        #expect(reader.videoCount > 1)
        #expect(summary.rowsWritten == 0 && summary.videosFailed == reader.videoCount)
        #expect(try reader.videoStatuses().allSatisfy { $0 == .failed })
        #expect(try reader.doneFlags(teacher: "image").allSatisfy { !$0 })
        for (video, error) in try reader.videoErrors().enumerated() {
            #expect(error.hasPrefix("row \(2 * video): teacher output is not finite ("), "\(error)")
            #expect(error.contains("at token 0, channel") && error.contains("check the teacher checkpoint"), "\(error)")
        }
        let inspection = try FeatureStoreInspection.summary(of: URL(fileURLWithPath: reader.url.path))
        #expect(inspection.videosFailed == reader.videoCount && inspection.videosOK == 0)
    }

    @Test("outputs beyond float16's range fail the video in a float16 cache and are stored in a float32 cache")
    func float16Overflow() throws {
        let dir = try Fixtures.temporaryDirectory("f16-overflow")
        defer { try? FileManager.default.removeItem(at: dir) }
        // Channel 5 of every token of the last block's output is shifted by 1e5, past float16's 65504.
        let checkpoint = try Self.editedTeacher(in: dir) { try Self.add(1e5, to: "blocks.1.mlp.fc2.bias", at: 5, in: &$0) }
        let (half, halfReader) = try Self.extract(checkpoint, in: dir, float32: false)
        #expect(half.rowsWritten == 0 && half.videosFailed == halfReader.videoCount)
        #expect(try halfReader.doneFlags(teacher: "image").allSatisfy { !$0 })
        for error in try halfReader.videoErrors() {
            #expect(
                error.contains("teacher output overflows float16 (") && error.contains("at token 0, channel 5, beyond ±65504)")
                    && error.contains("--dtype float32"), "\(error)")
        }
        let (full, fullReader) = try Self.extract(checkpoint, in: dir, float32: true)
        #expect(full.videosFailed == 0 && full.rowsWritten == fullReader.rowCount)
        #expect(try fullReader.doneFlags(teacher: "image").allSatisfy { $0 })
    }
}
