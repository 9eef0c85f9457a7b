import Checkpoint
import Tensor
import TestSupport
import Testing

@testable import Models

/// Fine-tuning starts from pre-training checkpoints of VideoMAE and MAE, as the original does: their decoders are
/// skipped and listed; any key that is not a known pre-training part is still refused.
@Suite struct PreTrainingCheckpointTests {
    /// The fixture image teacher as a single-frame image model (MAE).
    static let imageModel = ModelConfig(embedDim: 64, depth: 2, numHeads: 4, patchSize: 8, inputSize: 32, numFrames: 1, tubeletSize: 1)

    @Test("a VideoMAE pre-training checkpoint initialises fine-tuning; its decoder keys are skipped and summed up in one line")
    func videoMAE() throws {
        let reader = try FixtureModels.reader("video_teacher_videomae_checkpoint.pth")
        var rng = SplitMix64(seed: 1)
        let model = try Classifier(
            encoderWeights: reader, config: FixtureModels.videoTeacher, classes: 5,
            positionEncoding: .sinusoid1D, using: &rng)
        #expect(
            Set(reader.skipped) == [
                "mask_token", "encoder_to_decoder.weight", "decoder.norm.weight", "decoder.norm.bias",
                "decoder.head.weight", "decoder.head.bias", "norm.weight", "norm.bias"
            ])
        #expect(Classifier.skippedSummary(reader.skipped) == "decoder.* (4 keys), encoder_to_decoder.weight, mask_token, norm.* (2 keys)")
        // The encoder is the VideoMAE encoder the video teacher runs: same tokens.
        let teacher = try VideoTeacher(weights: FixtureModels.reader("video_teacher_videomae_checkpoint.pth"), config: FixtureModels.videoTeacher)
        let clip = try FixtureModels.tensor(try FixtureModels.io("video_teacher_io.safetensors"), "input/clip")
        #expect(model.tokenFeatures(clip) == teacher.features(clips: clip))
    }

    @Test("an MAE checkpoint initialises a single-frame image model (Conv2d patch weight, combined qkv bias, CLS token skipped)")
    func mae() throws {
        let reader = try FixtureModels.reader("image_teacher_mae_checkpoint.pth")
        var rng = SplitMix64(seed: 2)
        let model = try Classifier(encoderWeights: reader, config: Self.imageModel, classes: 5, positionEncoding: .sincos2D, using: &rng)
        #expect(Set(reader.skipped) == ["cls_token", "pos_embed", "norm.weight", "norm.bias"])
        // The same encoder run as the image teacher without its CLS token: equal up to the k bias, which softmax ignores.
        var teacher = try ImageTeacher(weights: FixtureModels.reader("image_teacher_mae_checkpoint.pth"), config: FixtureModels.imageTeacher)
        teacher.clsToken = nil
        let frames = try FixtureModels.tensor(try FixtureModels.io("image_teacher_io.safetensors"), "input/frames")
        let clips = frames.reshaped([frames.shape[0], 3, 1, 32, 32])
        let r = closeness(model.tokenFeatures(clips).storage, teacher.features(frames: frames).storage, atol: 1e-5, rtol: 1e-5, label: "MAE tokens")
        #expect(r.ok, "\(r)")
    }

    @Test("MAE's own decoder (full pre-training checkpoints) is skipped too")
    func maeDecoder() throws {
        var tensors = try Self.tensors("image_teacher_mae_checkpoint.pth")
        let extra = [
            "mask_token": [1, 1, 16], "decoder_embed.weight": [16, 64], "decoder_embed.bias": [16], "decoder_pos_embed": [1, 17, 16],
            "decoder_blocks.0.norm1.weight": [16], "decoder_norm.weight": [16], "decoder_pred.weight": [192, 16]
        ]
        for (k, shape) in extra { tensors[k] = Tensor.zeros(shape) }
        let reader = WeightReader(tensors, source: "mae_full")
        var rng = SplitMix64(seed: 3)
        _ = try Classifier(encoderWeights: reader, config: Self.imageModel, classes: 5, positionEncoding: .sincos2D, using: &rng)
        #expect(Set(extra.keys).isSubset(of: Set(reader.skipped)))
    }

    @Test(
        "a key that is no known pre-training part is still refused, naming it",
        arguments: ["projector.weight", "blocks.0.attn.k_bias", "encoder_head.weight", "encoder.blocks.2.norm1.weight"])
    func unknownKeyRefused(_ key: String) throws {
        var tensors = try Self.tensors("video_teacher_videomae_checkpoint.pth")
        tensors[key] = Tensor.zeros([40])
        var rng = SplitMix64(seed: 4)
        let error = try #require(throws: ModelLoadError.self) {
            try Classifier(
                encoderWeights: WeightReader(tensors, source: "edited"), config: FixtureModels.videoTeacher, classes: 5,
                positionEncoding: .sinusoid1D, using: &rng)
        }
        let stripped = key.hasPrefix("encoder.") ? String(key.dropFirst("encoder.".count)) : key
        #expect(error == .unusedKeys([stripped], source: "edited"))
    }

    @Test("an MAE layout of the wrong width is refused with the shape, not converted")
    func maeWrongWidth() throws {
        var tensors = try Self.tensors("image_teacher_mae_checkpoint.pth")
        tensors["blocks.1.attn.qkv.bias"] = Tensor.zeros([190])
        var rng = SplitMix64(seed: 5)
        #expect(throws: ModelLoadError.self) {
            try Classifier(
                encoderWeights: WeightReader(tensors, source: "edited"), config: Self.imageModel, classes: 5,
                positionEncoding: .sincos2D, using: &rng)
        }
    }

    static func tensors(_ file: String) throws -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for (name, data) in try CheckpointFile.load(Fixtures.url(file)) { out[name] = Tensor(shape: data.shape, data.floats()) }
        return out
    }
}
