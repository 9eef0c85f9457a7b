import Checkpoint
import Tensor
import TestSupport
import Testing

@testable import Models

/// The parameter visitor is the one place that names checkpoint keys: loading, export and resume all walk it, so
/// its names and checkpoint shapes must be exactly the official checkpoints' (less the keys a model skips).
@Suite("parameter names are the official checkpoints' keys")
struct ParameterNamesTests {
    /// Names and shapes of a fixture file, less the keys `skipped`.
    static func official(_ file: String, without skipped: [String]) throws -> [String: [Int]] {
        let dict = try CheckpointFile.load(Fixtures.url(file))
        var out: [String: [Int]] = [:]
        for name in dict.names where !skipped.contains(name) { out[name] = try dict.shape(of: name) }
        return out
    }

    static func visited<M: ParameterContainer>(_ model: inout M, prefix: String = "") -> [String: [Int]] {
        Dictionary(uniqueKeysWithValues: model.checkpointTensors(prefix: prefix).map { ($0.0, $0.1.shape) })
    }

    @Test("student")
    func student() throws {
        let reader = try FixtureModels.reader("student_init_checkpoint.pth")
        var model = try Student(weights: reader, config: FixtureModels.student, branches: FixtureModels.studentBranches)
        let expected = try Self.official("student_init_checkpoint.pth", without: ["pos_embed", "pos_embed_img", "pos_embed_vid"])
        #expect(Self.visited(&model) == expected)
        var shapeOnly = SplitMix64(seed: 3)
        var fresh = Student(fresh: FixtureModels.student, branches: FixtureModels.studentBranches, using: &shapeOnly)
        #expect(Self.visited(&fresh) == expected)
    }

    @Test("video teacher (VideoMAE keys under encoder.) and image teacher (MAE keys)")
    func teachers() throws {
        let videoFile = "video_teacher_videomae_checkpoint.pth"
        let videoReader = try FixtureModels.reader(videoFile)
        var video = try VideoTeacher(weights: videoReader, config: FixtureModels.videoTeacher)
        #expect(
            Self.visited(&video, prefix: "encoder.")
                == (try Self.official(videoFile, without: videoReader.skipped)))
        let imageFile = "image_teacher_mae_checkpoint.pth"
        let imageReader = try FixtureModels.reader(imageFile)
        var image = try ImageTeacher(weights: imageReader, config: FixtureModels.imageTeacher)
        #expect(image.clsToken != nil)
        #expect(Self.visited(&image) == (try Self.official(imageFile, without: imageReader.skipped)))
    }

    @Test("fine-tuning classifier")
    func classifier() throws {
        let file = "finetune_checkpoint.pth"
        let classes = try CheckpointFile.load(Fixtures.url(file)).shape(of: "head.weight")[0]
        var model = try Classifier(weights: FixtureModels.reader(file), config: FixtureModels.classifier, classes: classes)
        #expect(Self.visited(&model) == (try Self.official(file, without: [])))
    }
}
