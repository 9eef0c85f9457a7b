import Foundation
import Tensor
import TestSupport
import Testing

@testable import Models

/// A fine-tuned classifier saved as a video teacher (the supervised teacher of the transfer check) loads as one and
/// produces exactly the classifier's own last-block tokens.
@Suite("classifier saved as a video teacher")
struct ClassifierTeacherExportTests {
    static let config = ModelConfig(embedDim: 48, depth: 2, numHeads: 2, patchSize: 8, inputSize: 16, numFrames: 4)

    static func classifier(_ table: PositionEncoding) -> Classifier {
        var rng = SplitMix64(seed: 5)
        let student = Student(fresh: config, branches: [], positionEncoding: table, using: &rng)
        return Classifier(encoderOf: student, classes: 3, using: &rng)
    }

    @Test("the teacher's tokens equal the classifier's")
    func sameTokens() throws {
        var model = Self.classifier(.sinusoid1D)
        let tensors = try model.videoTeacherTensors(positionEncoding: .sinusoid1D)
        #expect(tensors.contains { $0.0 == "encoder.patch_embed.proj.weight" && $0.1.shape == [48, 3, 2, 8, 8] })
        #expect(!tensors.contains { $0.0.hasPrefix("encoder.head.") })
        let teacher = try VideoTeacher(
            weights: WeightReader(Dictionary(uniqueKeysWithValues: tensors), source: "test"),
            config: Self.config)
        var rng = TestRandom(seed: 9)
        let clips = Tensor(shape: [2, 3, 4, 16, 16], rng.array(2 * 3 * 4 * 16 * 16))
        let report = closeness(
            teacher.features(clips: clips).storage, model.tokenFeatures(clips).storage, atol: 0, rtol: 0,
            label: "teacher vs classifier tokens")
        #expect(report.ok, "\(report)")
    }

    @Test("an encoder trained with another position table is refused")
    func otherTable() {
        var model = Self.classifier(.sincos3D)
        #expect(throws: ModelConfigError.self) { try model.videoTeacherTensors(positionEncoding: .sincos3D) }
    }
}
