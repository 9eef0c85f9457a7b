import Checkpoint
import Foundation
import Tensor
import TestSupport
import Testing

@testable import Models

@Suite("weights holding NaN or infinity are refused when a model is built")
struct NonFiniteWeightTests {
    /// The fixture `file` with element `index` of `key` replaced by `value`, written as `format` to a temporary file.
    static func corrupted(_ file: String, key: String, index: Int, value: Float, pth: Bool) throws -> URL {
        var dict = try CheckpointFile.load(Fixtures.url(file))
        var values = try dict.floats(key)
        values[index] = value
        dict[key] = TensorData(floats: values, shape: try dict.shape(of: key))
        let url = try Fixtures.temporaryDirectory("non-finite").appendingPathComponent(pth ? "w.pth" : "w.safetensors")
        if pth { try TorchCheckpoint.write(dict, to: url) } else { try SafeTensors.write(dict, to: url) }
        return url
    }

    @Test("an image teacher checkpoint with a NaN weight is refused, naming the key, element and value")
    func imageTeacherNaN() throws {
        let url = try Self.corrupted(
            "image_teacher_weights.safetensors", key: "blocks.1.mlp.fc1.weight", index: 5,
            value: .nan, pth: true)
        let error = try #require(throws: ModelLoadError.self) {
            try ImageTeacher(weights: WeightReader(contentsOf: url), config: FixtureModels.imageTeacher)
        }
        guard case let .nonFinite(key, index, value, shape, source) = error else {
            Issue.record("\(error)")
            return
        }
        #expect(key == "blocks.1.mlp.fc1.weight" && index == 5 && value.isNaN && shape == [256, 64] && source == "w.pth")
        #expect(
            error.description.contains("'blocks.1.mlp.fc1.weight'") && error.description.contains("NaN at element 5"),
            "\(error)")
    }

    @Test("a video teacher checkpoint with an infinite weight is refused")
    func videoTeacherInfinity() throws {
        let url = try Self.corrupted("video_teacher_weights.safetensors", key: "encoder.blocks.0.norm1.bias", index: 0, value: -.infinity, pth: false)
        let error = try #require(throws: ModelLoadError.self) {
            try VideoTeacher(weights: WeightReader(contentsOf: url), config: FixtureModels.videoTeacher)
        }
        #expect(error == .nonFinite("encoder.blocks.0.norm1.bias", index: 0, value: -.infinity, shape: [40], source: "w.safetensors"))
        #expect(error.description.contains("-infinity"))
    }

    @Test("a student and a classifier built from weights with infinity are refused")
    func studentAndClassifier() throws {
        var tensors = try LoadingTests.studentTensors()
        tensors["blocks.0.attn.proj.bias"]?.storage[3] = .infinity
        #expect(throws: ModelLoadError.nonFinite("blocks.0.attn.proj.bias", index: 3, value: .infinity, shape: [32], source: "edited")) {
            try Student(
                weights: WeightReader(tensors, source: "edited"), config: FixtureModels.student,
                branches: FixtureModels.studentBranches)
        }
        var rng = SplitMix64(seed: 1)
        #expect(throws: ModelLoadError.nonFinite("blocks.0.attn.proj.bias", index: 3, value: .infinity, shape: [32], source: "edited")) {
            try Classifier(encoderWeights: WeightReader(tensors, source: "edited"), config: FixtureModels.student, classes: 3, using: &rng)
        }
    }
}
