import Checkpoint
import Foundation
import Tensor
import TestSupport
import Testing

@testable import Models

@Suite("strict checkpoint mapping, saving, configurations")
struct LoadingTests {
    static func studentTensors() throws -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for (name, t) in try CheckpointFile.load(Fixtures.url("student_init_weights.safetensors")) {
            out[name] = Tensor(shape: t.shape, t.floats())
        }
        return out
    }

    @Test("a missing key is an error naming it")
    func missingKey() throws {
        var tensors = try Self.studentTensors()
        tensors["blocks.1.attn.q_bias"] = nil
        #expect(throws: ModelLoadError.missingKey("blocks.1.attn.q_bias", source: "edited")) {
            try Student(weights: WeightReader(tensors, source: "edited"), config: FixtureModels.student, branches: FixtureModels.studentBranches)
        }
    }

    @Test("a key of the wrong shape is an error naming it and both shapes")
    func wrongShape() throws {
        var tensors = try Self.studentTensors()
        tensors["norm.weight"] = Tensor.zeros([31])
        #expect(throws: ModelLoadError.shapeMismatch("norm.weight", expected: [32], found: [31], source: "edited")) {
            try Student(weights: WeightReader(tensors, source: "edited"), config: FixtureModels.student, branches: FixtureModels.studentBranches)
        }
    }

    @Test("a key left unused is an error; deliberately ignored keys are reported, not errors")
    func unusedKey() throws {
        var tensors = try Self.studentTensors()
        tensors["blocks.2.norm1.weight"] = Tensor.zeros([32])  // a third block the 2-block config does not have
        do {
            _ = try Student(weights: WeightReader(tensors, source: "edited"), config: FixtureModels.student, branches: FixtureModels.studentBranches)
            Issue.record("expected an unused-key error")
        } catch let error as ModelLoadError {
            #expect(error == .unusedKeys(["blocks.2.norm1.weight"], source: "edited"))
            #expect(error.description.contains("blocks.2.norm1.weight"))
        }
        let reader = WeightReader(try Self.studentTensors(), source: "ok")
        _ = try Student(weights: reader, config: FixtureModels.student, branches: FixtureModels.studentBranches)
        #expect(Set(reader.skipped) == ["pos_embed", "pos_embed_img", "pos_embed_vid"])
    }

    @Test("the wrong architecture for a checkpoint fails with a shape error, not a crash")
    func wrongArchitecture() throws {
        let wrong = ModelConfig(embedDim: 48, depth: 2, numHeads: 2, patchSize: 8, inputSize: 32)
        #expect(throws: ModelLoadError.self) {
            try VideoTeacher(weights: FixtureModels.reader("video_teacher_weights.safetensors"), config: wrong)
        }
    }

    @Test("a student saved in the official layout (.pth and safetensors) loads back identically", arguments: ["pth", "safetensors"])
    func saveAndReload(format: String) throws {
        let student = try Student(
            weights: FixtureModels.reader("student_init_checkpoint.pth"), config: FixtureModels.student,
            branches: FixtureModels.studentBranches)
        let dir = try Fixtures.temporaryDirectory("student-save")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("student.\(format)")
        let dict = StateDict(tensors: student.officialStateDict())
        if format == "pth" { try TorchCheckpoint.write(dict, to: url) } else { try SafeTensors.write(dict, to: url) }
        // same keys, shapes and values as the original's state dict
        let original = try CheckpointFile.load(Fixtures.url("student_init_checkpoint.pth"))
        let saved = try CheckpointFile.load(url)
        #expect(Set(saved.names) == Set(original.names))
        for name in original.names {
            #expect(try saved.shape(of: name) == original.shape(of: name), "\(name)")
            let r = closeness(try saved.floats(name), try original.floats(name), atol: 1e-6, rtol: 0, label: name)
            #expect(r.ok, "\(r)")
        }
        let reloaded = try Student(weights: WeightReader(contentsOf: url), config: FixtureModels.student, branches: FixtureModels.studentBranches)
        let io = try FixtureModels.io("student_io.safetensors")
        let clips = try FixtureModels.tensor(io, "input/videos")
        let mask = try #require(try io.tensor("input/bool_masked_pos").bools())
        var g1 = SplitMix64(seed: 0), g2 = SplitMix64(seed: 0)
        #expect(student.forward(clips: clips, mask: mask, using: &g1).0 == reloaded.forward(clips: clips, mask: mask, using: &g2).0)
    }

    @Test("presets, and a custom JSON configuration with exactly the documented keys")
    func configurations() throws {
        let base = try ModelConfig.preset("vit_base")
        #expect(base.embedDim == 768 && base.depth == 12 && base.numHeads == 12 && base.videoTokens == 1568)
        #expect(throws: ModelConfigError.unknownPreset("vit_tiny")) { try ModelConfig.preset("vit_tiny") }
        let dir = try Fixtures.temporaryDirectory("config")
        defer { try? FileManager.default.removeItem(at: dir) }
        let good = dir.appendingPathComponent("good.json")
        try
            #"{"embed_dim": 64, "depth": 3, "num_heads": 4, "patch_size": 8, "input_size": 64, "num_frames": 8, "tubelet_size": 2, "mlp_ratio": 4.0, "decoder": {"embed_dim": 32, "depth": 1, "num_heads": 2}}"#
            .write(to: good, atomically: true, encoding: .utf8)
        let c = try ModelConfig.load(from: good)
        #expect(c.videoTokens == 4 * 64 && c.decoder?.depth == 1)
        let typo = dir.appendingPathComponent("typo.json")
        try
            #"{"embed_dims": 64, "depth": 3, "num_heads": 4, "patch_size": 8, "input_size": 64, "num_frames": 8, "tubelet_size": 2, "mlp_ratio": 4.0}"#
            .write(to: typo, atomically: true, encoding: .utf8)
        #expect(throws: ModelConfigError.self) { try ModelConfig.load(from: typo) }
        let bad = dir.appendingPathComponent("bad.json")
        try #"{"embed_dim": 64, "depth": 3, "num_heads": 5, "patch_size": 8, "input_size": 64, "num_frames": 8, "tubelet_size": 2, "mlp_ratio": 4.0}"#
            .write(to: bad, atomically: true, encoding: .utf8)
        #expect(throws: ModelConfigError.invalid("embed_dim 64 is not divisible by num_heads 5")) { try ModelConfig.load(from: bad) }
    }

    @Test("a fresh student follows the original's initialisation rules")
    func freshStudent() throws {
        var rng = SplitMix64(seed: 1)
        var s = Student(fresh: FixtureModels.student, branches: FixtureModels.studentBranches, dropPath: 0.1, using: &rng)
        var names = Set<String>()
        s.visitParameters(prefix: "") { name, p in
            names.insert(name)
            if name.hasPrefix("mask_token_") { #expect(p.value.storage.allSatisfy { abs($0) <= 0.02 }) }
            if name.hasSuffix("norm1.weight") { #expect(p.value.storage.allSatisfy { $0 == 1 }) }
            if name.hasSuffix("q_bias") { #expect(p.value.storage.allSatisfy { $0 == 0 }) }
        }
        let official = try CheckpointFile.load(Fixtures.url("student_init_weights.safetensors")).names
        #expect(names == Set(official).subtracting(["pos_embed", "pos_embed_img", "pos_embed_vid"]))
        #expect(s.blocks.map(\.dropPath) == [0, 0.1])
        let xavier = (6.0 / Double(96 + 32)).squareRoot()
        #expect(s.blocks[0].attn.qkv.weight.value.storage.allSatisfy { abs(Double($0)) <= xavier })
    }
}
