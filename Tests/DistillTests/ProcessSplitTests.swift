import Collective
import Foundation
import Models
import TestSupport
import Testing

@testable import Distill

/// One rank of a run over several processes, for the parts of training that need no peer (the plan, the checks).
private final class RankOf: Communicator {
    let rank: Int, size: Int
    init(_ rank: Int, of size: Int) {
        self.rank = rank
        self.size = size
    }
    func sumInRankOrder(_ buffer: UnsafeMutableBufferPointer<Float>) {}
    func sumInRankOrder(_ buffer: UnsafeMutableBufferPointer<Double>) {}
    func barrier() {}
    func abort(code: Int32) -> Never { fatalError("abort(\(code))") }
    func finish() {}
}

private struct Stop: Error {}

@Suite("runs split over processes", .serialized)
struct ProcessSplitTests {
    static func config(batch: Int, accumulate: Int, ranks: Int = 1) -> TrainConfig {
        var c = TrainerTests.config(epochs: 2, saveEvery: 2)
        c.batchSize = batch
        c.accumulate = accumulate
        c.ranks = ranks
        return c
    }

    @Test("N ranks read disjoint rows that together are one process's step with accumulate × N, rank-major")
    func ranksSplitEachStep() throws {
        let dir = try Fixtures.temporaryDirectory("split-plan")
        defer { try? FileManager.default.removeItem(at: dir) }
        let data = SyntheticData(rows: 16, config: TrainerTests.model)
        let one = try Trainer(config: Self.config(batch: 2, accumulate: 4), data: data, run: RunDirectory(dir), student: TrainerTests.student())
        let ranks = try (0..<2).map { r in
            try Trainer(
                config: Self.config(batch: 2, accumulate: 2, ranks: 2), data: data, run: RunDirectory(dir),
                student: TrainerTests.student(), communicator: RankOf(r, of: 2))
        }
        #expect(ranks[0].totalSteps == one.totalSteps && one.totalSteps == 4)
        let whole = one.plan(from: 1), parts = ranks.map { $0.plan(from: 1) }
        #expect(parts[0].count == 6 && parts[1].count == 6 && whole.count == 12)
        for step in 0..<3 {
            // One process's micro-batches 0, 1 are rank 0's, 2, 3 rank 1's.
            #expect(Array(whole[4 * step..<4 * step + 4]) == Array(parts[0][2 * step..<2 * step + 2] + parts[1][2 * step..<2 * step + 2]))
            #expect(Set(parts[0][2 * step..<2 * step + 2].joined()).isDisjoint(with: parts[1][2 * step..<2 * step + 2].joined()))
        }
    }

    @Test("a trainer set up for other than the processes started is refused, naming both counts")
    func ranksMustMatch() throws {
        let dir = try Fixtures.temporaryDirectory("split-ranks")
        defer { try? FileManager.default.removeItem(at: dir) }
        let data = SyntheticData(rows: 16, config: TrainerTests.model)
        #expect {
            try Trainer(config: Self.config(batch: 2, accumulate: 1, ranks: 2), data: data, run: RunDirectory(dir), student: TrainerTests.student())
        } throws: { "\($0)".contains("set up for 2 processes but 1 were started") && "\($0)".contains("mpirun -n 2") }
    }

    @Test("a run resumes under another split of the same total batch; another total batch is refused")
    func resumeUnderAnotherSplit() throws {
        let dir = try Fixtures.temporaryDirectory("split-resume")
        defer { try? FileManager.default.removeItem(at: dir) }
        let data = SyntheticData(rows: 8, config: TrainerTests.model)
        let first = try Trainer(config: Self.config(batch: 2, accumulate: 2), data: data, run: RunDirectory(dir), student: TrainerTests.student())
        #expect(throws: Stop.self) { try first.train(resume: false) { if $0.step == 3 { throw Stop() } } }  // saved at 2
        let other = Self.config(batch: 4, accumulate: 1)
        try Trainer(config: other, data: data, run: RunDirectory(dir), student: TrainerTests.student()).train(resume: true) { _ in }
        #expect(try RunDirectory(dir).readMetrics().map(\.step) == [1, 2, 3, 4])
        #expect(try RunDirectory(dir).readConfig() == other)

        let smaller = Self.config(batch: 2, accumulate: 1)
        #expect {
            try Trainer(config: smaller, data: data, run: RunDirectory(dir), student: TrainerTests.student()).train(resume: true) { _ in }
        } throws: { "\($0)".contains("--batch-size: saved 4, requested 2") && "\($0)".contains("total batch") }
    }

    @Test("a config.json written before processes were recorded reads as one process")
    func configWithoutRanks() throws {
        let dir = try Fixtures.temporaryDirectory("split-config")
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = RunDirectory(dir)
        try run.create()
        try run.writeConfig(Self.config(batch: 2, accumulate: 2))
        var object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: run.configURL)) as? [String: Any])
        #expect(object["ranks"] as? Int == 1)
        object["ranks"] = nil
        try JSONSerialization.data(withJSONObject: object).write(to: run.configURL)
        #expect(try run.readConfig().ranks == 1)
    }

    @Test("the launcher's environment: rank and size from Open MPI's variables; anything missing or inconsistent is one process")
    func launchEnvironment() {
        let two = LaunchEnvironment(environment: ["OMPI_COMM_WORLD_SIZE": "2", "OMPI_COMM_WORLD_RANK": "1", "OMPI_COMM_WORLD_LOCAL_SIZE": "2"])
        #expect(two == LaunchEnvironment(rank: 1, size: 2, localSize: 2) && two.isParallel)
        for bad in [
            [:], ["OMPI_COMM_WORLD_SIZE": "2"], ["OMPI_COMM_WORLD_SIZE": "2", "OMPI_COMM_WORLD_RANK": "2"],
            ["OMPI_COMM_WORLD_SIZE": "0", "OMPI_COMM_WORLD_RANK": "0"], ["OMPI_COMM_WORLD_SIZE": "x", "OMPI_COMM_WORLD_RANK": "0"],
            ["OMPI_COMM_WORLD_SIZE": "2", "OMPI_COMM_WORLD_RANK": "-1"]
        ] {
            #expect(LaunchEnvironment(environment: bad) == .single, "\(bad)")
        }
        // A local size beyond the world (a broken launcher) cannot divide the cores by more than the processes.
        #expect(
            LaunchEnvironment(environment: [
                "OMPI_COMM_WORLD_SIZE": "2", "OMPI_COMM_WORLD_RANK": "0",
                "OMPI_COMM_WORLD_LOCAL_SIZE": "99"
            ]).localSize == 2)
    }
}
