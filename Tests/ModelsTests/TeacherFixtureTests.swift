import Checkpoint
import Tensor
import TestSupport
import Testing

@testable import Models

@Suite("teachers and classifier reproduce the original's outputs")
struct TeacherFixtureTests {
    @Test("image teacher from the .pth and from safetensors", arguments: ["image_teacher_mae_checkpoint.pth", "image_teacher_weights.safetensors"])
    func imageTeacher(file: String) throws {
        let teacher = try ImageTeacher(weights: FixtureModels.reader(file), config: FixtureModels.imageTeacher)
        let io = try FixtureModels.io("image_teacher_io.safetensors")
        let out = teacher.features(frames: try FixtureModels.tensor(io, "input/frames"))
        let expected = try FixtureModels.tensor(io, "output/features")
        #expect(out.shape == expected.shape)
        let r = closeness(out.storage, expected.storage, atol: 1e-4, rtol: 1e-4, label: "image features")
        #expect(r.ok, "\(r)")
    }

    @Test(
        "video teacher from the .pth and from safetensors", arguments: ["video_teacher_videomae_checkpoint.pth", "video_teacher_weights.safetensors"])
    func videoTeacher(file: String) throws {
        let reader = try FixtureModels.reader(file)
        let teacher = try VideoTeacher(weights: reader, config: FixtureModels.videoTeacher)
        #expect(
            Set(reader.skipped) == [
                "mask_token", "encoder_to_decoder.weight", "decoder.norm.weight", "decoder.norm.bias",
                "decoder.head.weight", "decoder.head.bias"
            ])
        let io = try FixtureModels.io("video_teacher_io.safetensors")
        let out = teacher.features(clips: try FixtureModels.tensor(io, "input/clip"))
        let expected = try FixtureModels.tensor(io, "output/features")
        let r = closeness(out.storage, expected.storage, atol: 1e-4, rtol: 1e-4, label: "video features")
        #expect(r.ok, "\(r)")
    }

    @Test("both teachers on the tiny clip, image teacher on frames 0, 2, 4, …")
    func tinyClip() throws {
        let io = try FixtureModels.io("tiny_clip_io.safetensors")
        let clip = try FixtureModels.tensor(io, "input/clip")
        let image = try ImageTeacher(weights: FixtureModels.reader("image_teacher_weights.safetensors"), config: FixtureModels.imageTeacher)
        let video = try VideoTeacher(weights: FixtureModels.reader("video_teacher_weights.safetensors"), config: FixtureModels.videoTeacher)
        let ri = closeness(
            image.clipFeatures(clip, frameStride: 2).storage, try FixtureModels.tensor(io, "image_teacher/features_strided").storage,
            atol: 1e-4, rtol: 1e-4, label: "strided image features")
        let rv = closeness(
            video.features(clips: clip).storage, try FixtureModels.tensor(io, "video_teacher/features").storage,
            atol: 1e-4, rtol: 1e-4, label: "video features")
        #expect(ri.ok, "\(ri)")
        #expect(rv.ok, "\(rv)")
    }

    @Test("classifier logits from the .pth and from safetensors", arguments: ["finetune_checkpoint.pth", "finetune_weights.safetensors"])
    func classifier(file: String) throws {
        let model = try Classifier(weights: FixtureModels.reader(file), config: FixtureModels.classifier, classes: 5)
        let io = try FixtureModels.io("finetune_io.safetensors")
        let clips = try FixtureModels.tensor(io, "input/clip")
        let r = closeness(model(clips).storage, try FixtureModels.tensor(io, "output/logits").storage, atol: 1e-5, rtol: 1e-4, label: "logits")
        #expect(r.ok, "\(r)")
        let pooled = model.fcNorm(model.pooledFeatures(clips))
        let rp = closeness(pooled.storage, try FixtureModels.tensor(io, "debug/pooled_fc_norm").storage, atol: 1e-5, rtol: 1e-4, label: "pooled")
        #expect(rp.ok, "\(rp)")
    }

    @Test("the three position tables match the official functions")
    func tables() throws {
        let io = try FixtureModels.io("pos_embed_tables.safetensors")
        let cases: [(String, Tensor)] = [
            ("sincos_3d_student_encoder", PositionTables.sincos3D(embedDim: 32, gridT: 8, gridSide: 4)),
            ("sincos_3d_student_decoder", PositionTables.sincos3D(embedDim: 16, gridT: 8, gridSide: 4)),
            ("sincos_2d_image_teacher_with_cls", PositionTables.sincos2DWithCLS(embedDim: 64, gridSide: 4)),
            ("sinusoid_1d", PositionTables.sinusoid1D(positions: 128, embedDim: 40)),
            ("sinusoid_1d_extra", PositionTables.sinusoid1D(positions: 37, embedDim: 20))
        ]
        for (name, ours) in cases {
            let r = closeness(ours.storage, try FixtureModels.tensor(io, name).storage, atol: 1e-6, rtol: 0, label: name)
            #expect(r.ok, "\(r)")
        }
    }
}
