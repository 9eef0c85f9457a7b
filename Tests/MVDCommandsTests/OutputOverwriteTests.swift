import Foundation
import MVDCommands
import TestSupport
import Testing

/// Commands that write files refuse to replace an existing one unless given --overwrite (as `mvd merge` refuses).
@Suite struct OutputOverwriteTests {
    let dir: URL
    init() throws { dir = try Fixtures.temporaryDirectory("overwrite") }

    @Test("export refuses an existing --out (and the default file) unless --overwrite")
    func export() throws {
        let run = dir.appendingPathComponent("run")
        let file = try CommandFixtures.write("weights", to: dir.appendingPathComponent("student.pth"))
        let refusal = try #require(CommandFixtures.message(ExportCommand.self, [run.path, "--out", file.path]))
        #expect(refusal.contains(file.path) && refusal.contains("--overwrite"), "\(refusal)")
        #expect(CommandFixtures.message(ExportCommand.self, [run.path, "--out", file.path, "--overwrite"]) == nil)
        _ = try CommandFixtures.write("weights", to: run.appendingPathComponent("encoder.safetensors"))
        #expect(CommandFixtures.message(ExportCommand.self, [run.path, "--as", "encoder", "--format", "safetensors"]) != nil)
        #expect(CommandFixtures.message(ExportCommand.self, [run.path, "--as", "encoder"]) == nil)
    }

    @Test("evaluate refuses to replace evaluation.json before any work, unless --overwrite")
    func evaluate() throws {
        let out = dir.appendingPathComponent("eval")
        _ = try CommandFixtures.write("[]", to: out.appendingPathComponent("evaluation.json"))
        let flags = ["--random-init", "--train-manifest", "t.csv", "--val-manifest", "v.csv", "--out", out.path]
        let refusal = try #require(CommandFixtures.message(EvaluateCommand.self, flags))
        #expect(refusal.contains("evaluation.json") && refusal.contains("--overwrite"), "\(refusal)")
        #expect(CommandFixtures.message(EvaluateCommand.self, flags + ["--overwrite"]) == nil)
    }

    @Test("report, similarity, plot-metrics and synth refuse existing outputs unless --overwrite")
    func otherWriters() throws {
        let prefix = dir.appendingPathComponent("out").path
        _ = try CommandFixtures.write("x", to: URL(fileURLWithPath: prefix + ".png"))
        let cases: [(String?, String?)] = [
            (
                CommandFixtures.message(ReportCommand.self, ["run", "--out", prefix]),
                CommandFixtures.message(ReportCommand.self, ["run", "--out", prefix, "--overwrite"])
            ),
            (
                CommandFixtures.message(SimilarityCommand.self, ["--subject", "image", "--checkpoint", "w.pth", "--manifest", "m", "--out", prefix]),
                CommandFixtures.message(
                    SimilarityCommand.self, ["--subject", "image", "--checkpoint", "w.pth", "--manifest", "m", "--out", prefix, "--overwrite"])
            ),
            (
                CommandFixtures.message(PlotMetricsCommand.self, ["run", "--out", prefix + ".png"]),
                CommandFixtures.message(PlotMetricsCommand.self, ["run", "--out", prefix + ".png", "--overwrite"])
            )
        ]
        for (refused, allowed) in cases {
            let message = try #require(refused)
            #expect(message.contains(prefix + ".png") && message.contains("--overwrite"), "\(message)")
            #expect(allowed == nil)
        }
        let data = dir.appendingPathComponent("synth")
        _ = try CommandFixtures.write("videos/a.mp4 0\n", to: data.appendingPathComponent("train.csv"))
        #expect(CommandFixtures.message(SynthCommand.self, ["--out", data.path])?.contains("--overwrite") == true)
        #expect(CommandFixtures.message(SynthCommand.self, ["--out", data.path, "--overwrite"]) == nil)
    }
}
