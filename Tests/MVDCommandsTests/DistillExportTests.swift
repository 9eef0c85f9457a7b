import Checkpoint
import Distill
import FeatureStore
import Foundation
import Models
import Tensor
import TestSupport
import Testing

@testable import MVDCommands

/// What `distill` records about its teachers reaches `export`, and what `distill --help` promises adds up.
@Suite struct DistillExportTests {
    @Test("distill records each teacher's kind from the cache; export --as student then writes the branches as img and vid")
    func exportUnderOfficialNames() throws {
        let dir = try Fixtures.temporaryDirectory("distill-export")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (config, out) = try CommandFixtures.freshRun(in: dir)
        #expect(config.teacherKinds == ["image": .image, "video": .video])
        let file = dir.appendingPathComponent("student.safetensors")
        try ExportCommand.parse([out.path, "--format", "safetensors", "--out", file.path]).run()
        let names = try CheckpointFile.load(file).names
        for key in [
            "mask_token_img", "pos_embed_img", "down_img.weight", "decoder_img.head.weight",
            "mask_token_vid", "pos_embed_vid", "down_vid.bias", "decoder_vid.blocks.1.attn.q_bias"
        ] {
            #expect(names.contains(key), "\(key) missing from \(names)")
        }
        #expect(!names.contains { $0.contains("image") || $0.contains("video") }, "\(names)")
    }

    @Test("the paper example of distill --help has the original's total batch and peak lr, and says both")
    func helpExampleAddsUp() throws {
        let text = DistillCommand.configuration.discussion
        let lines = text.components(separatedBy: "\n")
        var i = try #require(lines.firstIndex { $0.contains("distill --cache k400") }, "no paper example in \(text)")
        var command = lines[i]
        while command.hasSuffix("\\") {
            i += 1
            command = String(command.dropLast()) + lines[i]
        }
        let words = command.split(separator: " ").map(String.init)
        func value(_ flag: String) throws -> Double {
            let at = try #require(words.firstIndex(of: flag), "\(flag) missing from \(command)")
            return try #require(Double(words[at + 1]))
        }
        let total = Int(try value("--batch-size") * value("--accumulate"))
        // ViT-S ← ViT-B in the original: 16 per GPU × 2 accumulation × 32 GPUs, base lr 1.5e-4, floor 1e-4 (docs/method.md §7.3).
        #expect(total == 1024)
        #expect(abs(scaledLearningRate(try value("--lr"), totalBatch: total) - 6e-4) < 1e-12)
        #expect(abs(scaledLearningRate(try value("--min-lr"), totalBatch: total) - 4e-4) < 1e-12)
        #expect(text.contains("total batch 1024") && text.contains("peak lr 6e-4"), "\(text)")
    }
}
