import Evaluate
import Foundation
import TestSupport
import Testing
import VideoIO

@testable import MVDCommands

/// `evaluate` refuses bad values before loading an encoder, and labels that are not class indices before
/// allocating a classifier for them.
@Suite struct EvaluateCommandTests {
    let dir: URL
    init() throws { dir = try Fixtures.temporaryDirectory("evaluate-command") }

    func flags(_ extra: [String]) -> [String] {
        ["--random-init", "--train-manifest", "t.csv", "--val-manifest", "v.csv", "--out", dir.path] + extra
    }

    @Test(
        "values out of range are refused with their flag",
        arguments: [
            ["--protocol", "finetune", "--epochs=0"], ["--protocol", "finetune", "--batch-size=0"],
            ["--protocol", "finetune", "--epochs=-3"], ["--sampling-rate=0"], ["--sampling-rate=100000"],
            ["--protocol", "finetune", "--lr=nan"], ["--protocol", "finetune", "--lr=-1"],
            ["--protocol", "finetune", "--layer-decay=-0.5"], ["--protocol", "finetune", "--layer-decay=inf"],
            ["--protocol", "finetune", "--drop-path=1"], ["--k=0"], ["--threads=0"],
            ["--protocol", "finetune", "--accumulate=0"], ["--protocol", "finetune", "--accumulate=5000"],
            ["--protocol", "finetune", "--warmup-epochs=-1"], ["--protocol", "finetune", "--epochs=3", "--warmup-epochs=4"],
            ["--protocol", "finetune", "--fc-dropout=1"], ["--protocol", "finetune", "--fc-dropout=-0.1"],
            ["--protocol", "finetune", "--dataset", "ssv2", "--flip"],
            ["--protocol", "finetune", "--dataset", "ssv2", "--sampling-rate=2"]
        ])
    func badValues(_ extra: [String]) throws {
        let refusal = try #require(CommandFixtures.message(EvaluateCommand.self, flags(extra)), "\(extra) was accepted")
        let flag = String(extra.last!.split(separator: "=")[0])
        #expect(refusal.contains(flag), "\(refusal)")
    }

    @Test(
        "fine-tuning flags are refused when nothing is fine-tuned, as other flags without effect are",
        arguments: [
            ["--dataset", "ssv2"], ["--repeated-augment", "1"], ["--layer-decay", "0.65"], ["--epochs", "12"], ["--no-mixup"],
            ["--no-flip"], ["--no-rand-augment"], ["--train-crop", "multi-scale"], ["--test-views", "2x3"], ["--lr", "1e-3"]
        ])
    func fineTuningFlagsWithoutFineTuning(_ extra: [String]) throws {
        let refusal = try #require(
            CommandFixtures.message(EvaluateCommand.self, flags(["--protocol", "knn,linear"] + extra)), "\(extra) was accepted")
        #expect(refusal.contains("only applies to fine-tuning"), "\(refusal)")
        #expect(refusal.contains(extra[0]), "names the flag: \(refusal)")
        // The same flags are accepted where they apply.
        #expect(CommandFixtures.message(EvaluateCommand.self, flags(["--protocol", "finetune"] + extra)) == nil)
    }

    @Test("--test-views must be two small positive counts", arguments: ["100000x100000", "0x3", "2x0", "2x", "x3", "2x3x4", "-1x3", "axb"])
    func testViews(_ views: String) throws {
        let refusal = CommandFixtures.message(EvaluateCommand.self, flags(["--protocol", "finetune", "--test-views", views]))
        #expect(refusal != nil, "--test-views \(views) was accepted")
    }

    @Test(
        "no encoder source, or two, is refused before anything is loaded",
        arguments: [
            [], ["--random-init", "--raw-pixels"],
            ["--run", "r", "--checkpoint", "c.pth"]
        ])
    func encoderSource(_ source: [String]) throws {
        let refusal = CommandFixtures.message(
            EvaluateCommand.self,
            [
                "--train-manifest", "t.csv", "--val-manifest", "v.csv",
                "--out", dir.path
            ] + source)
        #expect(refusal?.contains("give exactly one of --run") == true, "\(refusal ?? "accepted")")
    }

    @Test("the defaults and a sane fine-tuning setting pass")
    func saneValues() {
        #expect(CommandFixtures.message(EvaluateCommand.self, flags([])) == nil)
        #expect(CommandFixtures.message(EvaluateCommand.self, flags(["--protocol", "knn,linear,finetune", "--test-views", "5x3"])) == nil)
    }

    @Test("the fine-tuning defaults follow --dataset: k400 rate 4, flips, 5x3, mixup; ssv2 no flips, 2x3; flags override")
    func datasetDefaults() throws {
        let k400 = try EvaluateCommand.parse(flags(["--protocol", "finetune"])).fineTuneConfig()
        #expect(k400.dataset == .k400 && k400.flip && k400.mixup && k400.samplingRate == 4 && k400.warmupEpochs == 5)
        #expect(k400.testSegments == 5 && k400.testCrops == 3 && k400.accumulate == 1 && k400.fcDropout == 0)
        let ssv2 = try EvaluateCommand.parse(flags(["--protocol", "finetune", "--dataset", "ssv2"])).fineTuneConfig()
        #expect(ssv2.dataset == .ssv2 && !ssv2.flip && ssv2.testSegments == 2 && ssv2.testCrops == 3)
        let set = try EvaluateCommand.parse(
            flags([
                "--protocol", "finetune", "--no-mixup", "--no-flip", "--test-views", "1x1", "--accumulate", "3",
                "--warmup-epochs", "1", "--fc-dropout", "0.5", "--sampling-rate", "2"
            ])
        ).fineTuneConfig()
        #expect(!set.mixup && !set.flip && set.testSegments == 1 && set.testCrops == 1 && set.accumulate == 3 && set.totalBatch == 24)
        #expect(set.warmupEpochs == 1 && set.fcDropout == 0.5 && set.samplingRate == 2)
    }

    @Test(
        "fine-tuning augmentation flags: the K400 defaults (m7-n4, erasing 0.25, two views, random-resized crop); each can be turned off; bad values are refused"
    )
    func augmentationFlags() throws {
        let defaults = try EvaluateCommand.parse(flags(["--protocol", "finetune"])).fineTuneConfig()
        #expect(
            defaults.randAugment == RandAugment() && defaults.randomErasing == 0.25 && defaults.repeatedAugment == 2
                && defaults.crop == .randomResized)
        let off = try EvaluateCommand.parse(
            flags([
                "--protocol", "finetune", "--no-rand-augment", "--random-erasing", "0", "--repeated-augment", "1",
                "--train-crop", "multi-scale"
            ])
        ).fineTuneConfig()
        #expect(off.randAugment == nil && off.randomErasing == 0 && off.repeatedAugment == 1 && off.crop == .multiScale)
        let m9 = try EvaluateCommand.parse(flags(["--protocol", "finetune", "--rand-augment", "m9-n2"])).fineTuneConfig()
        #expect(m9.randAugment?.magnitude == 9 && m9.randAugment?.count == 2)
        for (bad, words) in [
            (["--rand-augment", "m7"], "--rand-augment"), (["--rand-augment", "m7-n4", "--no-rand-augment"], "contradict"),
            (["--random-erasing", "2"], "--random-erasing"), (["--repeated-augment", "0"], "--repeated-augment")
        ] {
            let message = CommandFixtures.message(EvaluateCommand.self, flags(["--protocol", "finetune"] + bad))
            #expect(message?.contains(words) == true, "\(bad): \(message ?? "accepted")")
        }
    }

    @Test(
        "a training label of 2^62 or 10^8 ends in an error naming the manifest line, not a trap",
        arguments: [Int64(1) << 62, 100_000_000, -1])
    func hugeLabel(_ label: Int64) throws {
        let train = try CommandFixtures.write("a.mp4 0\n\nb.mp4 \(label)\n", to: dir.appendingPathComponent("train-\(label).csv"))
        let val = try CommandFixtures.write("c.mp4 1\n", to: dir.appendingPathComponent("val.csv"))
        let config = try CommandFixtures.write(CommandFixtures.studentConfig, to: dir.appendingPathComponent("model.json"))
        let result = try CommandFixtures.run(
            "mvd",
            [
                "evaluate", "--random-init", "--model-config", config.path, "--train-manifest", train.path,
                "--val-manifest", val.path, "--out", dir.appendingPathComponent("out-\(label)").path,
                "--protocol", "finetune", "--threads", "1"
            ])
        #expect(result.status == 64 || result.status == 1, "exit status \(result.status): \(result.stderr)")
        #expect(result.stderr.contains("\(train.path):3") && result.stderr.contains("0..<\(Manifest.maxClassCount)"), "\(result.stderr)")
    }

    @Test(
        "a width the position table cannot be built for ends in an error naming it, not a trap",
        arguments: [("sincos-3d", 24), ("sincos-2d", 32)])
    func positionTableWidth(_ table: String, _ width: Int) throws {
        let train = try CommandFixtures.write("a.mp4 0\n", to: dir.appendingPathComponent("train.csv"))
        let model = CommandFixtures.studentConfig.replacingOccurrences(of: "\"embed_dim\": 32", with: "\"embed_dim\": \(width)")
        let config = try CommandFixtures.write(model, to: dir.appendingPathComponent("model-\(width).json"))
        let result = try CommandFixtures.run(
            "mvd",
            [
                "evaluate", "--random-init", "--model-config", config.path, "--position-table", table,
                "--train-manifest", train.path, "--val-manifest", train.path,
                "--out", dir.appendingPathComponent("out-\(table)").path, "--threads", "1"
            ])
        #expect(result.status == 64 || result.status == 1, "exit status \(result.status): \(result.stderr)")
        #expect(result.stderr.contains("position table"), "\(result.stderr)")
    }

    @Test("a video that fails to decode is counted, named and recorded in evaluation.json; the accuracy is over the others")
    func undecodableVideo() throws {
        let root = dir.appendingPathComponent("videos")
        try CommandFixtures.videos(in: root, [("a.mkv", 40), ("b.mkv", 200), ("c.mkv", 50)], broken: ["broken.mkv"])
        let train = try CommandFixtures.write("a.mkv 0\nb.mkv 1\n", to: root.appendingPathComponent("train.csv"))
        let val = try CommandFixtures.write("c.mkv 0\nbroken.mkv 1\n", to: root.appendingPathComponent("val.csv"))
        let config = try CommandFixtures.write(CommandFixtures.studentConfig, to: dir.appendingPathComponent("model.json"))
        let out = dir.appendingPathComponent("skipped")
        var command = try EvaluateCommand.parse([
            "--random-init", "--model-config", config.path, "--train-manifest", train.path,
            "--val-manifest", val.path, "--data-root", root.path, "--out", out.path,
            "--protocol", "knn", "--k", "1", "--sampling-rate", "1", "--threads", "1"
        ])
        try command.run()
        let data = try Data(contentsOf: out.appendingPathComponent("evaluation.json"))
        let results = try JSONDecoder().decode([EvaluationResult].self, from: data)
        let knn = try #require(results.first)
        #expect(knn.evaluatedCount == 1 && knn.trainCount == 2, "\(knn)")
        let skipped = try #require(knn.skippedVideos)
        #expect(skipped.map(\.path) == ["broken.mkv"] && !skipped[0].reason.isEmpty, "\(skipped)")
    }

    @Test("fine-tuning skips an undecodable training video, trains on another in its place, and names it")
    func undecodableTrainingVideoWhileFineTuning() throws {
        let root = dir.appendingPathComponent("finetune-videos")
        try CommandFixtures.videos(in: root, [("a.mkv", 40), ("b.mkv", 200), ("c.mkv", 50)], broken: ["broken.mkv"])
        let train = try CommandFixtures.write("a.mkv 0\nbroken.mkv 1\nb.mkv 1\n", to: root.appendingPathComponent("train.csv"))
        let val = try CommandFixtures.write("c.mkv 0\n", to: root.appendingPathComponent("val.csv"))
        let config = try CommandFixtures.write(CommandFixtures.studentConfig, to: dir.appendingPathComponent("model.json"))
        let out = dir.appendingPathComponent("finetune-skipped")
        let command = try EvaluateCommand.parse([
            "--random-init", "--model-config", config.path, "--train-manifest", train.path, "--val-manifest", val.path,
            "--data-root", root.path, "--out", out.path, "--protocol", "finetune", "--epochs", "2", "--warmup-epochs", "0",
            "--batch-size", "3", "--no-mixup", "--no-rand-augment", "--repeated-augment", "1", "--test-views", "1x1",
            "--sampling-rate", "1", "--threads", "1"
        ])
        try command.run()
        let results = try JSONDecoder().decode([EvaluationResult].self, from: Data(contentsOf: out.appendingPathComponent("evaluation.json")))
        let result = try #require(results.first)
        #expect(result.evaluatedCount == 1, "\(result)")
        let skipped = try #require(result.skippedVideos)
        #expect(skipped.map(\.path) == ["broken.mkv"] && !skipped[0].reason.isEmpty, "named once, however often it was drawn: \(skipped)")
    }

    @Test("a classes.json that cannot be read stops the evaluation with its path instead of dropping the per-kind accuracies")
    func unreadableClasses() throws {
        let root = dir.appendingPathComponent("classes-videos")
        try CommandFixtures.videos(in: root, [("a.mkv", 40), ("b.mkv", 200)], broken: [])
        _ = try CommandFixtures.write("[{\"label\": ", to: root.appendingPathComponent(SyntheticDataset.classesFile))
        let manifest = try CommandFixtures.write("a.mkv 0\nb.mkv 1\n", to: root.appendingPathComponent("all.csv"))
        let config = try CommandFixtures.write(CommandFixtures.studentConfig, to: dir.appendingPathComponent("model.json"))
        var command = try EvaluateCommand.parse([
            "--random-init", "--model-config", config.path, "--train-manifest", manifest.path,
            "--val-manifest", manifest.path, "--data-root", root.path, "--out", dir.appendingPathComponent("c").path,
            "--protocol", "knn", "--k", "1", "--sampling-rate", "1", "--threads", "1"
        ])
        let error = #expect(throws: (any Error).self) { try command.run() }
        #expect(
            "\(error.map { "\($0)" } ?? "")".contains(root.appendingPathComponent(SyntheticDataset.classesFile).path), "\(String(describing: error))")
    }
}
