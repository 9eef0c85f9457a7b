import Checkpoint
import Models
import Tensor
import TestSupport
import Testing

@testable import Distill

@Suite("objectives")
struct ObjectiveTests {
    static let config = ModelConfig(
        embedDim: 32, depth: 2, numHeads: 2, patchSize: 8, inputSize: 32,
        decoder: DecoderConfig(embedDim: 16, depth: 2, numHeads: 2))

    @Test("one distillation step on the fixture student reproduces the original's losses and gradient norm")
    func fixtureStep() throws {
        var student = try Student(
            weights: WeightReader(contentsOf: Fixtures.url("student_init_weights.safetensors")),
            config: Self.config, branches: [BranchSpec(name: "img", targetWidth: 64), BranchSpec(name: "vid", targetWidth: 40)])
        let io = try SafeTensors.read(Fixtures.url("student_io.safetensors"))
        func t(_ n: String) throws -> Tensor {
            let d = try io.tensor(n)
            return Tensor(shape: d.shape, d.floats())
        }
        let batch = TrainingBatch(clips: try t("input/videos"), teacherFeatures: [try t("teacher/image_features"), try t("teacher/video_features")])
        let mask = try #require(try io.tensor("input/bool_masked_pos").bools())
        var rng = SplitMix64(seed: 0)
        student.zeroGrad()
        let loss = student.trainingStep(
            batch, mask: mask,
            objective: .distill([
                TeacherTerm(name: "img", normalizeTargets: true),
                TeacherTerm(name: "vid", normalizeTargets: true)
            ]), using: &rng)
        let expected = [try t("loss/smoothl1_image").storage[0], try t("loss/smoothl1_video").storage[0]].map(Double.init)
        let r = closeness(loss.terms, expected, atol: 1e-6, rtol: 1e-5, label: "losses")
        #expect(r.ok, "\(r)")
        #expect(abs(loss.total - Double(try t("loss/smoothl1_total").storage[0])) < 1e-5)
        #expect(abs(student.gradientNorm() - Double(try t("optim/grad_norm").storage[0])) < 1e-4)
    }

    @Test("a profiled step counts the products of the encoder and of the decoders in their sections, forward and backward, and its losses")
    func profiledStep() throws {
        var rng = SplitMix64(seed: 5)
        let branches = [BranchSpec(name: "img", targetWidth: 64), BranchSpec(name: "vid", targetWidth: 40)]
        var student = Student(fresh: Self.config, branches: branches, dropPath: 0.1, using: &rng)
        let tokens = Self.config.videoTokens
        let batch = TrainingBatch(
            clips: Tensor.uniform([2, 3, Self.config.numFrames, 32, 32], bound: 1, using: &rng),
            teacherFeatures: [Tensor.uniform([2, tokens, 64], bound: 1, using: &rng), Tensor.uniform([2, tokens, 40], bound: 1, using: &rng)])
        let mask = MaskGenerator(
            kind: .tube, ratio: 0.75, timeSlices: Self.config.numFrames / Self.config.tubeletSize, tokensPerSlice: Self.config.tokensPerFrame
        ).make(batch: 2, using: &rng)
        let objective = Objective.distill([TeacherTerm(name: "img"), TeacherTerm(name: "vid")])
        student.zeroGrad()
        let (loss, p) = OpProfile.record { student.trainingStep(batch, mask: mask, objective: objective, using: &rng) }
        #expect(loss.total.isFinite)
        for section in ["encoder forward", "encoder backward", "decoders forward", "decoders backward"] {
            for op in [OpProfile.Op.linear, .attention, .layerNorm, .gelu] {
                #expect((p.seconds[section]?[op] ?? 0) > 0, "\(op.rawValue) missing from \(section)")
            }
        }
        #expect((p.seconds["losses"]?[.loss] ?? 0) > 0)
        #expect(Set(p.sectionOrder) == ["encoder forward", "decoders forward", "losses", "decoders backward", "encoder backward", "step"])
    }

    @Test("changing a target at a visible position changes nothing")
    func visibleTargetsIgnored() {
        var rng = SplitMix64(seed: 3)
        let pred = Tensor.uniform([1, 2, 4], bound: 1, using: &rng)
        var features = Tensor.uniform([1, 4, 4], bound: 1, using: &rng)
        let mask = [false, true, false, true]
        let term = [TeacherTerm(name: "x")]
        let (a, ga) = distillationLoss(predictions: [pred], teacherFeatures: [features], mask: mask, terms: term)
        features.storage[0] = 100
        features.storage[9] = -7  // tokens 0 and 2 are visible
        let (b, gb) = distillationLoss(predictions: [pred], teacherFeatures: [features], mask: mask, terms: term)
        #expect(a == b && ga[0] == gb[0])
    }

    @Test("loss weights scale each term's gradient and the total")
    func weights() {
        var rng = SplitMix64(seed: 4)
        let pred = Tensor.uniform([1, 2, 3], bound: 1, using: &rng), f = Tensor.uniform([1, 2, 3], bound: 1, using: &rng)
        let mask = [true, true]
        let (one, g1) = distillationLoss(predictions: [pred], teacherFeatures: [f], mask: mask, terms: [TeacherTerm(name: "a", loss: .l2)])
        let (two, g2) = distillationLoss(predictions: [pred], teacherFeatures: [f], mask: mask, terms: [TeacherTerm(name: "a", loss: .l2, weight: 2)])
        #expect(abs(two.total - 2 * one.total) < 1e-12 && two.terms == one.terms)
        #expect(zip(g1[0].storage, g2[0].storage).allSatisfy { abs(2 * $0 - $1) < 1e-7 })
    }

    @Test("VideoMAE pixel targets: each patch and channel has mean 0 and unbiased std ≈ 1; MAE over the whole patch")
    func pixelTargets() {
        var rng = SplitMix64(seed: 5)
        let g = PatchGeometry(frames: 2, height: 4, width: 4, tubelet: 2, patch: 2)
        let clips = Tensor.uniform([1, 3, 2, 4, 4], bound: 2, using: &rng)
        let v = PixelTarget.videoMAE.targets(clips: clips, geometry: g)
        #expect(v.shape == [1, 4, 24])
        for c in 0..<3 {  // token 0, channel c: values at (t, y, x, c) = index i·3 + c
            let xs = (0..<8).map { Double(v.storage[$0 * 3 + c]) }
            let m = xs.reduce(0, +) / 8
            let sd = (xs.map { ($0 - m) * ($0 - m) }.reduce(0, +) / 7).squareRoot()
            #expect(abs(m) < 1e-5 && abs(sd - 1) < 1e-4)
        }
        let m = PixelTarget.mae.targets(clips: clips, geometry: g)
        let xs = (0..<24).map { Double(m.storage[$0]) }
        #expect(abs(xs.reduce(0, +)) < 1e-4)
    }

    @Test("raw pixel targets are the [0, 1] pixels of each patch in (t, y, x, c) order")
    func rawPixelTargets() {
        let g = PatchGeometry(frames: 2, height: 4, width: 4, tubelet: 2, patch: 2)
        let mean: [Float] = [0.485, 0.456, 0.406], std: [Float] = [0.229, 0.224, 0.225]
        // Pixel (c, t, y, x) holds the value v = (c + 3·(t·16 + y·4 + x)) / 100 in [0, 1], ImageNet-normalised.
        func value(_ c: Int, _ t: Int, _ y: Int, _ x: Int) -> Float { Float(c + 3 * (t * 16 + y * 4 + x)) / 100 }
        var storage = [Float](repeating: 0, count: 3 * 2 * 4 * 4)
        for c in 0..<3 {
            for t in 0..<2 {
                for y in 0..<4 {
                    for x in 0..<4 {
                        storage[((c * 2 + t) * 4 + y) * 4 + x] = (value(c, t, y, x) - mean[c]) / std[c]
                    }
                }
            }
        }
        let r = PixelTarget.raw.targets(clips: Tensor(shape: [1, 3, 2, 4, 4], storage), geometry: g)
        #expect(r.shape == [1, 4, 24])
        let token = 3  // row 1, column 1 of the 2×2 grid: pixels y, x ∈ {2, 3}
        var i = 0
        for t in 0..<2 {
            for y in 2..<4 {
                for x in 2..<4 {
                    for c in 0..<3 {
                        #expect(abs(r.storage[token * 24 + i] - value(c, t, y, x)) < 1e-6)
                        i += 1
                    }
                }
            }
        }
    }
}
