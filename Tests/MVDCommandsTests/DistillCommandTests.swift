import Distill
import Foundation
import TestSupport
import Testing

@testable import MVDCommands

/// `distill` refuses, before writing anything, runs that would replace or fail to continue an earlier one, and
/// values out of range.
@Suite struct DistillCommandTests {
    let dir: URL
    let config: URL
    let cache: URL

    init() throws {
        dir = try Fixtures.temporaryDirectory("distill-command")
        config = try CommandFixtures.write(CommandFixtures.studentConfig, to: dir.appendingPathComponent("student.json"))
        cache = try CommandFixtures.cache(in: dir)
    }

    /// Flags of a small features run into `out`, plus `extra`.
    func arguments(_ out: URL, _ extra: [String] = []) -> [String] {
        ["--cache", cache.path, "--out", out.path, "--model-config", config.path, "--teachers", "image,video"] + extra
    }

    func message(_ out: URL, _ extra: [String] = []) -> String? { CommandFixtures.message(DistillCommand.self, arguments(out, extra)) }

    @Test("an --out holding a run is refused without --resume, and replaced with --overwrite")
    func existingRunIsNotReplaced() throws {
        for file in ["checkpoint.safetensors", "metrics.jsonl", "config.json"] {
            let out = dir.appendingPathComponent("run-\(file)")
            _ = try CommandFixtures.write("{}", to: out.appendingPathComponent(file))
            let refusal = try #require(message(out), "a run folder holding \(file) was accepted")
            #expect(refusal.contains("already holds a run") && refusal.contains("--resume") && refusal.contains("--overwrite"), "\(refusal)")
            #expect(message(out, ["--overwrite"]) == nil)
            #expect(try String(contentsOf: out.appendingPathComponent(file), encoding: .utf8) == "{}")
        }
        #expect(message(dir.appendingPathComponent("fresh")) == nil)
    }

    @Test("--overwrite deletes the earlier run's files, so that a later --resume cannot load them")
    func overwriteClearsTheOldRun() throws {
        let run = RunDirectory(dir.appendingPathComponent("replaced"))
        for file in [run.checkpointURL, run.metricsURL, run.configURL] { _ = try CommandFixtures.write("old", to: file) }
        #expect(run.existingRunFiles.count == 3)
        try run.removeRunFiles()
        #expect(run.existingRunFiles.isEmpty)
    }

    @Test("--resume without a checkpoint is refused with the path it looked for")
    func resumeNeedsACheckpoint() throws {
        let empty = dir.appendingPathComponent("empty"), missing = dir.appendingPathComponent("missing")
        let configOnly = dir.appendingPathComponent("config-only")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        _ = try CommandFixtures.write("{}", to: configOnly.appendingPathComponent("config.json"))
        for out in [empty, missing, configOnly] {
            let refusal = try #require(message(out, ["--resume"]), "--resume on \(out.lastPathComponent) was accepted")
            #expect(refusal.contains(RunDirectory(out).checkpointURL.path), "\(refusal)")
        }
        #expect(!FileManager.default.fileExists(atPath: missing.path))
        #expect(message(empty, ["--resume", "--overwrite"]) != nil)
    }

    @Test("a teacher named twice is refused instead of trapping")
    func duplicateTeachers() throws {
        let out = dir.appendingPathComponent("dup")
        let refusal = try #require(
            CommandFixtures.message(
                DistillCommand.self,
                [
                    "--cache", cache.path, "--out", out.path, "--model-config",
                    config.path, "--teachers", "image,image"
                ]))
        #expect(refusal.contains("'image' is named twice"), "\(refusal)")
        for bad in ["image,", "imag"] {
            let other = try #require(
                CommandFixtures.message(
                    DistillCommand.self,
                    [
                        "--cache", cache.path, "--out", out.path,
                        "--model-config", config.path, "--teachers", bad
                    ]))
            #expect(other.contains("has no teacher"), "\(other)")
        }
    }

    @Test(
        "NaN, infinite, negative and zero values are refused with their flag, and no run folder is created",
        arguments: [
            ("--lr", "nan"), ("--lr", "inf"), ("--lr", "-1e-4"), ("--lr", "0"), ("--min-lr", "nan"), ("--min-lr", "-1"),
            ("--weight-decay", "inf"), ("--weight-decay", "-0.1"), ("--clip-grad", "nan"), ("--clip-grad", "-1"),
            ("--clip-grad", "0"), ("--loss-weight", "nan"), ("--loss-weight", "inf"), ("--loss-weight", "-1"),
            ("--loss-weight", "1,nan"), ("--drop-path", "nan"), ("--epochs", "0"), ("--batch-size", "-2"),
            ("--accumulate", "0"), ("--epochs", "100000000"), ("--save-every", "0"), ("--log-every", "-1"),
            ("--warmup-epochs", "-1"), ("--decoder-depth", "0"), ("--decoder-width", "0"), ("--decoder-heads", "0"),
            ("--decoder-width", "40"), ("--threads", "0")
        ])
    func badValues(flag: String, value: String) throws {
        let out = dir.appendingPathComponent("bad\(flag)\(value)")
        let refusal = try #require(message(out, ["\(flag)=\(value)"]), "\(flag) \(value) was accepted")
        #expect(refusal.contains(flag), "\(refusal)")
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }

    @Test("--decoder-width and --decoder-heads set the decoder (the original's --feat_decoder_embed_dim, --feat_decoder_num_heads)")
    func decoderShape() throws {
        let out = dir.appendingPathComponent("decoder")
        let command = try DistillCommand.parse(arguments(out, ["--decoder-width", "64", "--decoder-heads", "4"]))
        let decoder = try #require(try command.trainConfig().0.model.decoder)
        #expect(decoder.embedDim == 64 && decoder.numHeads == 4 && decoder.depth == 2, "\(decoder)")
        let plain = try DistillCommand.parse(arguments(out)).trainConfig().0.model.decoder
        #expect(plain == nil, "without the flags the config's decoder (here: none, the encoder's shape) stays")
    }

    @Test("a mask ratio that masks no token is refused with the count it would give")
    func maskRatioMaskingNothing() throws {
        let out = dir.appendingPathComponent("mask")
        // 16 tokens per time slice: tube masking takes int(0.05 · 16) = 0 of them.
        let refusal = try #require(message(out, ["--mask-ratio", "0.05"]))
        #expect(refusal.contains("masks 0 of 32 tokens"), "\(refusal)")
        let random = try #require(message(out, ["--mask-ratio", "0.02", "--mask", "random"]))
        #expect(random.contains("masks 0 of 32 tokens"), "\(random)")
        #expect(message(out, ["--mask-ratio", "0.0625"]) == nil)
        #expect(message(out, ["--mask-ratio", "0.99"]) == nil)
        for outside in ["0", "1", "nan", "-0.5"] { #expect(message(out, ["--mask-ratio=\(outside)"]) != nil, "\(outside)") }
    }
}
