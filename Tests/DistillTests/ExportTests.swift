import Checkpoint
import FeatureStore
import Foundation
import Models
import Tensor
import TestSupport
import Testing

@testable import Distill

/// `export --as student` writes the original's branch names for an image + video teacher pair (docs/method.md §8.4),
/// and what it writes loads back.
@Suite struct ExportTests {
    /// The fixture student's shapes (Tests/Fixtures/README.md): encoder 32 wide, decoders 16 wide, heads 64 (image) and 40 (video).
    static let model = ModelConfig(
        embedDim: 32, depth: 2, numHeads: 2, patchSize: 8, inputSize: 32,
        decoder: DecoderConfig(embedDim: 16, depth: 2, numHeads: 2))

    /// A distillation config with teachers named `names` (in branch order) of kinds `kinds`.
    static func config(_ names: [String], kinds: [TeacherKind]?, widths: [Int]) -> TrainConfig {
        TrainConfig(
            model: model, architecture: "custom", objective: .distill(names.map { TeacherTerm(name: $0) }), epochs: 1, batchSize: 1,
            teacherWidths: Dictionary(uniqueKeysWithValues: zip(names, widths)),
            teacherKinds: kinds.map { Dictionary(uniqueKeysWithValues: zip(names, $0)) })
    }

    static func student(_ config: TrainConfig) -> Student {
        var rng = SplitMix64(seed: 5)
        return Student(
            fresh: config.model, branches: config.objective.branches(teacherWidths: config.teacherWidths, geometry: config.geometry),
            using: &rng)
    }

    @Test("an image + video student is written with exactly the official student's keys and shapes, the branch names taken from the kinds")
    func officialNames() throws {
        // Group names that say nothing (and the video teacher first): only the kinds can tell img from vid.
        let config = Self.config(["teacher-a", "teacher-b"], kinds: [.video, .image], widths: [40, 64])
        #expect(config.officialBranchNames == ["teacher-a": "vid", "teacher-b": "img"])
        var student = Self.student(config)
        let exported = try student.exported(as: .student, branchNames: config.officialBranchNames)
        let official = try CheckpointFile.load(Fixtures.url("student_init_weights.safetensors"))
        #expect(Set(exported.map(\.0)) == Set(official.names))
        for (name, tensor) in exported where official.names.contains(name) {
            #expect(tensor.shape == (try official.shape(of: name)), "\(name)")
        }
    }

    @Test("other teacher sets, pixel targets and runs without recorded kinds keep the group names")
    func otherTeacherSetsKeepTheirNames() throws {
        #expect(Self.config(["image", "video"], kinds: nil, widths: [64, 40]).officialBranchNames.isEmpty)
        #expect(Self.config(["v1", "v2"], kinds: [.video, .video], widths: [40, 40]).officialBranchNames.isEmpty)
        #expect(Self.config(["image"], kinds: [.image], widths: [64]).officialBranchNames.isEmpty)
        #expect(Self.config(["i", "v", "w"], kinds: [.image, .video, .video], widths: [64, 40, 40]).officialBranchNames.isEmpty)
        var pixels = Self.config(["image", "video"], kinds: [.image, .video], widths: [64, 40])
        pixels.objective = .pixels(.videoMAE)
        #expect(pixels.officialBranchNames.isEmpty)

        let config = Self.config(["v1", "v2"], kinds: [.video, .video], widths: [40, 24])
        var student = Self.student(config)
        let names = Set(try student.exported(as: .student, branchNames: config.officialBranchNames).map(\.0))
        #expect(names.contains("mask_token_v1") && names.contains("decoder_v2.head.weight") && names.contains("pos_embed_v2"))
        #expect(!names.contains { $0.contains("_img") || $0.contains("_vid") })
    }

    @Test("teacher kinds survive config.json, and a config.json written before they were recorded still reads")
    func kindsInConfigJSON() throws {
        let config = Self.config(["image", "video"], kinds: [.image, .video], widths: [64, 40])
        let decoded = try JSONDecoder().decode(TrainConfig.self, from: JSONEncoder().encode(config))
        #expect(decoded == config && decoded.officialBranchNames == ["image": "img", "video": "vid"])
        var object = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(config)) as? [String: Any])
        object["teacherKinds"] = nil
        let old = try JSONDecoder().decode(TrainConfig.self, from: JSONSerialization.data(withJSONObject: object))
        #expect(old.teacherKinds == nil && old.officialBranchNames.isEmpty)
    }

    @Test("an official-name export loads back as a student (same predictions) and as an encoder to fine-tune", arguments: ["pth", "safetensors"])
    func roundTrip(format: String) throws {
        let config = Self.config(["video", "image"], kinds: [.video, .image], widths: [40, 64])
        var student = Self.student(config)
        let dir = try Fixtures.temporaryDirectory("export-official")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("student.\(format)")
        let dict = StateDict(tensors: try student.exported(as: .student, branchNames: config.officialBranchNames))
        if format == "pth" { try TorchCheckpoint.write(dict, to: url) } else { try SafeTensors.write(dict, to: url) }

        let reloaded = try Student(
            weights: WeightReader(contentsOf: url), config: Self.model,
            branches: [BranchSpec(name: "vid", targetWidth: 40), BranchSpec(name: "img", targetWidth: 64)])
        var rng = SplitMix64(seed: 9)
        let clips = Tensor.uniform([1, 3, 16, 32, 32], bound: 1, using: &rng)
        let mask = config.maskGenerator.make(batch: 1, using: &rng)
        var g1 = SplitMix64(seed: 0), g2 = SplitMix64(seed: 0)
        #expect(student.forward(clips: clips, mask: mask, using: &g1).0 == reloaded.forward(clips: clips, mask: mask, using: &g2).0)

        let reader = try WeightReader(contentsOf: url)
        let classifier = try Classifier(encoderWeights: reader, config: Self.model, classes: 3, using: &rng)
        #expect(reader.skipped.contains("decoder_img.head.weight") && reader.skipped.contains("mask_token_vid"))
        #expect(classifier.tokenFeatures(clips) == Classifier(encoderOf: student, classes: 3, using: &rng).tokenFeatures(clips))
    }
}
