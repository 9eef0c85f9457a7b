import Checkpoint
import Tensor
import TestSupport
import Testing

@testable import Models

/// bf16 against fp32 on the same weights and inputs. bf16 keeps 8 bits of mantissa, so relative errors of a few
/// 1e-3 are expected, and they must not grow through the depth. Each bound is about ten times what was measured
/// when it was set (given beside it), so that another CPU's kernels pass and a real loss of accuracy does not.
@Suite("bf16 against fp32")
struct BF16AccuracyTests {
    static func agreement(_ body: () -> Tensor) -> Agreement {
        let fp32 = ComputePrecision.with(.fp32, body), bf16 = ComputePrecision.with(.bf16, body)
        return Agreement(bf16.storage, fp32.storage)
    }

    @Test("the fixture teachers' features")
    func fixtureTeachers() throws {
        let image = try ImageTeacher(weights: FixtureModels.reader("image_teacher_weights.safetensors"), config: FixtureModels.imageTeacher)
        let frames = try FixtureModels.tensor(try FixtureModels.io("image_teacher_io.safetensors"), "input/frames")
        let video = try VideoTeacher(weights: FixtureModels.reader("video_teacher_weights.safetensors"), config: FixtureModels.videoTeacher)
        let clip = try FixtureModels.tensor(try FixtureModels.io("video_teacher_io.safetensors"), "input/clip")
        for (name, a) in [("image", Self.agreement { image.features(frames: frames) }), ("video", Self.agreement { video.features(clips: clip) })] {
            // measured: mean 2.8e-3, max 2.9e-3 (image) and 3.3e-3 (video), cosine 0.999996
            #expect(a.cosine > 0.99995 && a.meanRelative < 3e-2 && a.maxRelative < 3e-2, "\(name) teacher: \(a)")
            #expect(a.meanRelative > 0, "\(name) teacher: bf16 gave exactly the fp32 features, so it did not run")
        }
    }

    @Test("a ViT-B video teacher with random weights, 12 blocks deep")
    func vitBase() throws {
        var config = try ModelConfig.preset("vit_base")
        config.inputSize = 64  // 8 × 4 × 4 = 128 tokens: the depth and width of ViT-B at a test's cost
        var rng = SplitMix64(seed: 3)
        let teacher = VideoTeacher(random: config, using: &rng)
        let clip = Tensor.uniform([1, 3, config.numFrames, 64, 64], bound: 1, using: &rng)
        let a = Self.agreement { teacher.features(clips: clip) }
        // measured: mean 4.6e-3, max 4.6e-3, cosine 0.99999
        #expect(a.cosine > 0.9999 && a.meanRelative < 5e-2 && a.maxRelative < 5e-2, "ViT-B: \(a)")
    }

    @Test("training the fixture student: bf16 losses follow fp32's over 30 steps")
    func training() throws {
        let io = try FixtureModels.io("student_io.safetensors")
        let clips = try FixtureModels.tensor(io, "input/videos")
        let mask = try #require(try io.tensor("input/bool_masked_pos").bools())
        let targets = try ["teacher/image_features", "teacher/video_features"].map {
            gatherTokens(layerNormForward(try FixtureModels.tensor(io, $0), weight: nil, bias: nil, eps: 1e-6).0, mask: mask, select: true)
        }
        func losses(_ precision: Precision) throws -> [Double] {
            var student = try Student(
                weights: FixtureModels.reader("student_init_weights.safetensors"), config: FixtureModels.student,
                branches: FixtureModels.studentBranches)
            var opt = AdamW(beta1: 0.9, beta2: 0.95, eps: 1e-8)
            return ComputePrecision.with(precision) {
                (0..<30).map { _ in
                    var rng = SplitMix64(seed: 0)
                    let (predictions, cache) = student.forward(clips: clips, mask: mask, using: &rng)
                    let terms = zip(predictions, targets).map { regressionLoss(.smoothL1, prediction: $0, target: $1) }
                    student.zeroGrad()
                    student.backward(terms.map(\.grad), cache)
                    opt.step(&student, lr: 1e-3, weightDecay: 0.05) { name, shape in mvdDecayGroup(name: name, shape: shape) }
                    return terms.map(\.loss).reduce(0, +)
                }
            }
        }
        let fp32 = try losses(.fp32), bf16 = try losses(.bf16)
        #expect(fp32.last! < 0.8 * fp32.first!, "the run learns: \(fp32.first!) → \(fp32.last!)")
        let worst = zip(bf16, fp32).map { abs($0 - $1) / $1 }.max()!  // measured: 2.4e-4, losses 1.121 → 0.716
        #expect(worst < 3e-3, "bf16 losses stray \(worst) (relative) from fp32's: \(bf16) vs \(fp32)")
        #expect(bf16 != fp32, "bf16 gave exactly fp32's losses, so it did not run")
    }
}
