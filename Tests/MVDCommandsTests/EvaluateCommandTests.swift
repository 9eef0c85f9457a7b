import Foundation
import MVDCommands
import Testing
import TestSupport
import VideoIO

/// `evaluate` refuses bad values before loading an encoder, and labels that are not class indices before
/// allocating a classifier for them.
@Suite struct EvaluateCommandTests {
    let dir: URL
    init() throws { dir = try Fixtures.temporaryDirectory("evaluate-command") }

    func flags(_ extra: [String]) -> [String] {
        ["--random-init", "--train-manifest", "t.csv", "--val-manifest", "v.csv", "--out", dir.path] + extra
    }

    @Test("values out of range are refused with their flag",
          arguments: [["--protocol", "finetune", "--epochs=0"], ["--protocol", "finetune", "--batch-size=0"],
                      ["--protocol", "finetune", "--epochs=-3"], ["--sampling-rate=0"], ["--sampling-rate=100000"],
                      ["--protocol", "finetune", "--lr=nan"], ["--protocol", "finetune", "--lr=-1"],
                      ["--protocol", "finetune", "--layer-decay=-0.5"], ["--protocol", "finetune", "--layer-decay=inf"],
                      ["--protocol", "finetune", "--drop-path=1"], ["--k=0"], ["--threads=0"]])
    func badValues(_ extra: [String]) throws {
        let refusal = try #require(CommandFixtures.message(EvaluateCommand.self, flags(extra)), "\(extra) was accepted")
        let flag = String(extra.last!.split(separator: "=")[0])
        #expect(refusal.contains(flag), "\(refusal)")
    }

    @Test("--test-views must be two small positive counts", arguments: ["100000x100000", "0x3", "2x0", "2x", "x3", "2x3x4", "-1x3", "axb"])
    func testViews(_ views: String) throws {
        let refusal = CommandFixtures.message(EvaluateCommand.self, flags(["--protocol", "finetune", "--test-views", views]))
        #expect(refusal != nil, "--test-views \(views) was accepted")
    }

    @Test("the defaults and a sane fine-tuning setting pass")
    func saneValues() {
        #expect(CommandFixtures.message(EvaluateCommand.self, flags([])) == nil)
        #expect(CommandFixtures.message(EvaluateCommand.self, flags(["--protocol", "knn,linear,finetune", "--test-views", "5x3"])) == nil)
    }

    @Test("a training label of 2^62 or 10^8 ends in an error naming the manifest line, not a trap",
          arguments: [Int64(1) << 62, 100_000_000, -1])
    func hugeLabel(_ label: Int64) throws {
        let train = try CommandFixtures.write("a.mp4 0\n\nb.mp4 \(label)\n", to: dir.appendingPathComponent("train-\(label).csv"))
        let val = try CommandFixtures.write("c.mp4 1\n", to: dir.appendingPathComponent("val.csv"))
        let config = try CommandFixtures.write(CommandFixtures.studentConfig, to: dir.appendingPathComponent("model.json"))
        let result = try CommandFixtures.run("mvd", ["evaluate", "--random-init", "--model-config", config.path, "--train-manifest", train.path,
                                                     "--val-manifest", val.path, "--out", dir.appendingPathComponent("out-\(label)").path,
                                                     "--protocol", "finetune", "--threads", "1"])
        #expect(result.status == 64 || result.status == 1, "exit status \(result.status): \(result.stderr)")
        #expect(result.stderr.contains("\(train.path):3") && result.stderr.contains("0..<\(Manifest.maxClassCount)"), "\(result.stderr)")
    }

    @Test("a width the position table cannot be built for ends in an error naming it, not a trap",
          arguments: [("sincos-3d", 24), ("sincos-2d", 32)])
    func positionTableWidth(_ table: String, _ width: Int) throws {
        let train = try CommandFixtures.write("a.mp4 0\n", to: dir.appendingPathComponent("train.csv"))
        let model = CommandFixtures.studentConfig.replacingOccurrences(of: "\"embed_dim\": 32", with: "\"embed_dim\": \(width)")
        let config = try CommandFixtures.write(model, to: dir.appendingPathComponent("model-\(width).json"))
        let result = try CommandFixtures.run("mvd", ["evaluate", "--random-init", "--model-config", config.path, "--position-table", table,
                                                     "--train-manifest", train.path, "--val-manifest", train.path,
                                                     "--out", dir.appendingPathComponent("out-\(table)").path, "--threads", "1"])
        #expect(result.status == 64 || result.status == 1, "exit status \(result.status): \(result.stderr)")
        #expect(result.stderr.contains("position table"), "\(result.stderr)")
    }
}
