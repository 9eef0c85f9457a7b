import Checkpoint
import Foundation
import Tensor
import TestSupport
import Testing

@testable import Distill

/// Mutated files of a run folder, as `distill --resume` reads them: `config.json` (decoded, validated, compared with
/// the request), `checkpoint.safetensors` (weights, AdamW moments, step) and `metrics.jsonl` (read, cut back to
/// the checkpoint's step). A typed error or a usable result, never a crash or a hang.
@Suite("run folder fuzzing", .serialized)
struct RunFolderFuzzTests {
    static let seconds = MutationFuzzer.budgetSeconds(default: 3)

    /// A run folder as a run of TrainerTests' model leaves it after step 3.
    static func savedRun(_ tag: String) throws -> RunDirectory {
        let run = RunDirectory(try Fixtures.temporaryDirectory(tag))
        try run.writeConfig(TrainerTests.config())
        var student = TrainerTests.student()
        try run.saveCheckpoint(student: &student, optimizer: AdamW(), step: 3)
        for step in 1...3 {
            try run.appendMetrics(
                MetricsRecord(
                    step: step, epoch: 0, loss: 1.5 / Double(step), losses: ["t": 1.5 / Double(step)], lr: 0.01,
                    weightDecay: 0.05, gradNorm: 0.7, clipsPerSecond: 3, dataWaitFraction: 0.1, stepsAveraged: 1))
        }
        return run
    }

    /// Feeds mutations of `file` of a saved run to `body`, which reads the run folder.
    static func fuzz(_ target: String, file: (RunDirectory) -> URL, _ body: @escaping (RunDirectory) throws -> Void) throws {
        let run = try savedRun("fuzz-\(target)")
        let url = file(run)
        let seed = [UInt8](try Data(contentsOf: url))
        let input = { (bytes: [UInt8]) throws in
            try Data(bytes).write(to: url)
            try body(run)
        }
        for (name, bytes) in MutationFuzzer.regressions(target) {
            _ = name
            _ = try? input(bytes)
        }
        var fuzzer = MutationFuzzer(target: target, corpus: [seed])
        let summary = fuzzer.run(seconds: seconds, input)
        #expect(summary.iterations > 0 && summary.rejected > 0, "\(summary)")
    }

    @Test("mutated config.json is refused as a run directory error, or gives a valid config that compares with the request")
    func fuzzConfig() throws {
        try Self.fuzz("run-config", file: \.configURL) { run in
            do {
                let config = try run.readConfig()
                try config.validate()
                #expect(config.totalBatch >= 1 && config.stepsPerEpoch(videos: 100) >= 0)
                _ = TrainConfig.describeDifferences(saved: config, requested: TrainerTests.config())
                _ = TrainConfig.differingFields(config, TrainerTests.config())
            } catch {
                #expect(error is DistillError, "\(error)")
                throw error
            }
        }
    }

    @Test("a mutated checkpoint is refused, or restores finite weights, moments and a step that is not negative")
    func fuzzCheckpoint() throws {
        try Self.fuzz("run-checkpoint", file: \.checkpointURL) { run in
            var student = TrainerTests.student(), optimizer = AdamW()
            let step = try run.loadCheckpoint(into: &student, optimizer: &optimizer)
            #expect(step >= 0, "step \(step)")
        }
    }

    @Test("mutated metrics.jsonl is read or refused, and cutting it back at the checkpoint's step always leaves a readable file")
    func fuzzMetrics() throws {
        try Self.fuzz("run-metrics", file: \.metricsURL) { run in
            let records = try? run.readMetrics()
            try run.truncateMetrics(after: 2)
            let kept = try run.readMetrics()
            #expect(kept.allSatisfy { $0.step <= 2 }, "\(kept.map(\.step))")
            if records == nil { throw DistillError.runDirectory("unreadable metrics") }
        }
    }
}
