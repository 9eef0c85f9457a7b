import Checkpoint
import Tensor
import TestSupport
import Testing

@testable import Models

/// One complete MVD training step of the tiny student against `student_io.safetensors` (produced by the
/// original's `train_one_epoch`: norm_feature on, SmoothL1 on both branches, AdamW lr 1e-3, wd 0.05, betas 0.9/0.95).
@Suite("student training step reproduces the original")
struct StudentFixtureTests {
    struct Step {
        var student: Student
        let io: StateDict
        let predictions: [Tensor]
        let targets: [Tensor]
        let losses: [(smoothL1: Double, l2: Double)]
    }

    /// Forward, targets (parameter-free LayerNorm, then masked gather), SmoothL1 backward.
    static func runStep(weights file: String) throws -> Step {
        var student = try Student(
            weights: FixtureModels.reader(file), config: FixtureModels.student,
            branches: FixtureModels.studentBranches)
        let io = try FixtureModels.io("student_io.safetensors")
        let clips = try FixtureModels.tensor(io, "input/videos")
        let mask = try #require(try io.tensor("input/bool_masked_pos").bools())
        var rng = SplitMix64(seed: 0)
        let (predictions, cache) = student.forward(clips: clips, mask: mask, using: &rng)
        var targets: [Tensor] = [], losses: [(Double, Double)] = [], grads: [Tensor] = []
        for (k, name) in ["teacher/image_features", "teacher/video_features"].enumerated() {
            let features = try FixtureModels.tensor(io, name)
            let normed = layerNormForward(features, weight: nil, bias: nil, eps: 1e-6).0
            let target = gatherTokens(normed, mask: mask, select: true)
            let smooth = regressionLoss(.smoothL1, prediction: predictions[k], target: target)
            losses.append((smooth.loss, regressionLoss(.l2, prediction: predictions[k], target: target).loss))
            targets.append(target)
            grads.append(smooth.grad)
        }
        student.zeroGrad()
        student.backward(grads, cache)
        return Step(student: student, io: io, predictions: predictions, targets: targets, losses: losses)
    }

    @Test("decoder outputs, targets and losses", arguments: ["student_init_checkpoint.pth", "student_init_weights.safetensors"])
    func forward(file: String) throws {
        let s = try Self.runStep(weights: file)
        for (k, (pred, target)) in [("output/image_pred", "teacher/image_targets"), ("output/video_pred", "teacher/video_targets")].enumerated() {
            let rp = closeness(s.predictions[k].storage, try FixtureModels.tensor(s.io, pred).storage, atol: 5e-5, rtol: 1e-4, label: pred)
            let rt = closeness(s.targets[k].storage, try FixtureModels.tensor(s.io, target).storage, atol: 5e-5, rtol: 1e-4, label: target)
            #expect(rp.ok, "\(rp)")
            #expect(rt.ok, "\(rt)")
        }
        let expected = try ["smoothl1_image", "smoothl1_video", "l2_image", "l2_video", "smoothl1_total"].map {
            Double(try FixtureModels.tensor(s.io, "loss/\($0)").storage[0])
        }
        let ours = [s.losses[0].smoothL1, s.losses[1].smoothL1, s.losses[0].l2, s.losses[1].l2, s.losses[0].smoothL1 + s.losses[1].smoothL1]
        let r = closeness(ours, expected, atol: 1e-6, rtol: 1e-5, label: "losses")
        #expect(r.ok, "\(r)")
    }

    @Test("every parameter gradient and the gradient norm")
    func gradients() throws {
        var s = try Self.runStep(weights: "student_init_weights.safetensors")
        var checked = 0, missing: [String] = []
        let io = s.io
        s.student.visitParameters(prefix: "") { name, p in
            guard let g = try? FixtureModels.tensor(io, "grad/\(name)") else {
                missing.append(name)
                return
            }
            let r = closeness(p.grad.storage, g.storage, atol: 1e-6, rtol: 1e-3, label: "grad/\(name)")
            #expect(r.ok, "\(r)")
            checked += 1
        }
        #expect(missing.isEmpty, "no fixture gradient for \(missing)")
        let fixtureGrads = io.names.filter { $0.hasPrefix("grad/") }.count
        #expect(checked == fixtureGrads, "checked \(checked) of \(fixtureGrads) fixture gradients")
        let norm = s.student.gradientNorm()
        let expected = Double(try FixtureModels.tensor(io, "optim/grad_norm").storage[0])
        #expect(abs(norm - expected) <= 1e-6 + 1e-4 * expected, "grad norm \(norm) vs \(expected)")
    }

    static func adamW(_ student: inout Student) {
        var opt = AdamW(beta1: 0.9, beta2: 0.95, eps: 1e-8)
        opt.step(&student, lr: 1e-3, weightDecay: 0.05) { name, shape in mvdDecayGroup(name: name, shape: shape) }
    }

    @Test("AdamW with the original's groups, fed the stored gradients, gives the stored parameters")
    func optimizerFromSavedGradients() throws {
        var student = try Student(
            weights: FixtureModels.reader("student_init_weights.safetensors"), config: FixtureModels.student,
            branches: FixtureModels.studentBranches)
        let io = try FixtureModels.io("student_io.safetensors")
        student.visitParameters(prefix: "") { name, p in
            if let g = try? FixtureModels.tensor(io, "grad/\(name)") { p.setGrad(g) }
        }
        Self.adamW(&student)
        var checked = 0
        student.visitParameters(prefix: "") { name, p in
            guard let u = try? FixtureModels.tensor(io, "updated/\(name)") else { return }
            let r = closeness(p.value.storage, u.storage, atol: 2e-6, rtol: 1e-5, label: "updated/\(name)")
            #expect(r.ok, "\(r)")
            checked += 1
        }
        #expect(checked == io.names.filter { $0.hasPrefix("updated/") }.count)
        // the mask tokens are decayed (their names are not the exact skip entry `mask_token`)
        #expect(mvdDecayGroup(name: "mask_token_img", shape: [1, 1, 16]).weightDecay)
    }

    @Test("one step end to end: at least 99% of elements agree to 1e-6, all within the sign-flip bound")
    func optimizerEndToEnd() throws {
        var s = try Self.runStep(weights: "student_init_weights.safetensors")
        Self.adamW(&s.student)
        var total = 0, close = 0, outside: [String] = []
        let io = s.io
        s.student.visitParameters(prefix: "") { name, p in
            guard let u = try? FixtureModels.tensor(io, "updated/\(name)") else { return }
            for (a, e) in zip(p.value.storage, u.storage) {
                total += 1
                let d = abs(Double(a) - Double(e))
                if d <= 1e-6 + 1e-5 * abs(Double(e)) { close += 1 }
                if d > 2e-3 + 1e-5 * abs(Double(e)) { outside.append(name) }
            }
        }
        #expect(total > 0)
        #expect(Double(close) >= 0.99 * Double(total), "\(close) of \(total) elements within 1e-6")
        #expect(outside.isEmpty, "elements beyond 2·lr in \(Set(outside))")
    }
}
