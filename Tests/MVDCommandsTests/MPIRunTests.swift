import Checkpoint
import Distill
import Foundation
import TestSupport
import Testing

/// `mpirun -n 2` runs of the commands against one process: the same cache, the same training, and no rank left
/// waiting when another dies.
@Suite("runs over MPI", .serialized, .enabled(if: MPIFixtures.available, MPIFixtures.skipReason))
struct MPIRunTests {
    /// A folder with the dataset and its single-process cache (with pixels).
    struct Workspace {
        let dir: URL, root: URL, manifest: URL, cache: URL, student: URL

        init(_ tag: String) throws {
            dir = try Fixtures.temporaryDirectory(tag)
            root = dir.appendingPathComponent("data")
            manifest = try MPIFixtures.dataset(in: root)
            cache = dir.appendingPathComponent("single.h5")
            student = try CommandFixtures.write(MPIFixtures.studentConfig, to: dir.appendingPathComponent("student.json"))
            let single = try CommandFixtures.run("extract-features", MPIFixtures.extractArguments(dataset: root, manifest: manifest, out: cache))
            try #require(single.status == 0, "single-process extraction failed: \(single.stderr)")
        }

        func distill(_ out: URL, epochs: Int, extra: [String] = []) -> [String] {
            [
                "--cache", cache.path, "--model-config", student.path, "--out", out.path, "--epochs", "\(epochs)", "--batch-size", "2",
                "--precision", "fp32", "--threads", "1", "--log-every", "1", "--save-every", "1", "--warmup-epochs", "0",
                "--lr", "1e-2", "--seed", "4"
            ] + extra
        }

        func log(_ name: String) -> URL { dir.appendingPathComponent(name + ".log") }
    }

    static func weights(_ run: URL) throws -> StateDict {
        try CheckpointFile.load(run.appendingPathComponent("checkpoint.safetensors"))
    }

    @Test("extract-features on 2 ranks writes the cache of one process (h5diff), and removes its shards")
    func extractionMatchesOneProcess() throws {
        let w = try Workspace("mpi-extract")
        defer { try? FileManager.default.removeItem(at: w.dir) }
        let out = w.dir.appendingPathComponent("ranks.h5")
        let r = try MPIFixtures.run(
            2, "extract-features", MPIFixtures.extractArguments(dataset: w.root, manifest: w.manifest, out: out), log: w.log("ranks"))
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try ChildProcess.h5diff(w.cache, out) == 0)
        let left = try FileManager.default.contentsOfDirectory(atPath: w.dir.path).filter { $0.contains(".shard-") }
        #expect(left.isEmpty, "shard files left after a successful merge: \(left)")
    }

    @Test("a shard that fails keeps every shard and says how to rerun; the rerun resumes and merges to the single-process cache")
    func failedShardIsKeptAndResumed() throws {
        let w = try Workspace("mpi-extract-fail")
        defer { try? FileManager.default.removeItem(at: w.dir) }
        let out = w.dir.appendingPathComponent("ranks.h5")
        // A folder where rank 1's shard file belongs: rank 1 cannot create its cache, rank 0 completes its shard.
        let blocker = w.dir.appendingPathComponent("ranks.shard-1-of-2.h5")
        try FileManager.default.createDirectory(at: blocker, withIntermediateDirectories: true)
        let arguments = MPIFixtures.extractArguments(dataset: w.root, manifest: w.manifest, out: out)
        let failed = try MPIFixtures.run(2, "extract-features", arguments, log: w.log("fail"))
        #expect(failed.status != 0)
        #expect(failed.stderr.contains("shard 1/2"), "\(failed.stderr)")
        #expect(failed.stderr.contains("rerun the same mpirun command"), "\(failed.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out.path), "--out written although a shard failed")
        #expect(FileManager.default.fileExists(atPath: w.dir.appendingPathComponent("ranks.shard-0-of-2.h5").path))

        try FileManager.default.removeItem(at: blocker)
        let rerun = try MPIFixtures.run(2, "extract-features", arguments, log: w.log("rerun"))
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(try String(contentsOf: w.log("rerun"), encoding: .utf8).contains("already done"))
        #expect(try ChildProcess.h5diff(w.cache, out) == 0)
    }

    /// Both runs add the same four micro-batch gradients, scaled by 1/4, but not in the same association: one
    /// process accumulates each backward pass into the gradient it already holds (the weight products add into it
    /// inside the matrix product), while two ranks each start from zero and their sums are added. The difference is
    /// float32 rounding of the gradient, about 1e-7 relative per step, which AdamW's normalised update carries into the
    /// weights: on the build machine the losses differed by at most 5e-9 relative and the weights by 1.5e-8 absolute
    /// after ten steps, and the bounds below leave a margin for other CPUs' kernels. Losses of the first step are
    /// computed before any update and must be bit-identical.
    @Test("distill on 2 ranks × batch 2 follows one process with batch 2 × accumulate 2 (losses and final weights)")
    func distillMatchesAccumulation() throws {
        let w = try Workspace("mpi-distill")
        defer { try? FileManager.default.removeItem(at: w.dir) }
        let one = w.dir.appendingPathComponent("one"), two = w.dir.appendingPathComponent("two")
        let single = try CommandFixtures.run("distill", w.distill(one, epochs: 2, extra: ["--accumulate", "2"]))
        #expect(single.status == 0, "\(single.stderr)")
        let ranks = try MPIFixtures.run(2, "distill", w.distill(two, epochs: 2), log: w.log("two"))
        #expect(ranks.status == 0, "\(ranks.stderr)")
        #expect(try String(contentsOf: w.log("two"), encoding: .utf8).contains("gradient sum over 2 processes"))

        let (a, b) = (try RunDirectory(one).readMetrics(), try RunDirectory(two).readMetrics())
        #expect(a.count == 10 && b.count == 10, "\(a.count) and \(b.count) metric lines")
        #expect(a.first?.loss == b.first?.loss, "first-step losses \(String(describing: a.first?.loss)) and \(String(describing: b.first?.loss))")
        let losses = closeness(b.map(\.loss), a.map(\.loss), atol: 1e-7, rtol: 1e-6, label: "losses per step")
        #expect(losses.ok, "\(losses)")
        #expect(try RunDirectory(two).readConfig().ranks == 2)

        let (wa, wb) = (try Self.weights(one), try Self.weights(two))
        #expect(wa.names == wb.names)
        var compared = 0
        for name in wa.names {
            let report = closeness(try wb.floats(name), try wa.floats(name), atol: 2e-7, rtol: 1e-6, label: name)
            #expect(report.ok, "\(report)")
            compared += 1
        }
        #expect(compared > 10)
    }

    @Test("kill -9 of one rank stops the other within seconds; --resume on 2 ranks ends with the weights of an uninterrupted run")
    func killedRankStopsAllAndResumes() throws {
        let w = try Workspace("mpi-kill")
        defer { try? FileManager.default.removeItem(at: w.dir) }
        let reference = w.dir.appendingPathComponent("reference"), killed = w.dir.appendingPathComponent("killed")
        let epochs = 16
        let full = try MPIFixtures.run(2, "distill", w.distill(reference, epochs: epochs), log: w.log("reference"))
        #expect(full.status == 0, "\(full.stderr)")

        let (p, errors) = try MPIFixtures.start(2, "distill", w.distill(killed, epochs: epochs), log: w.log("killed"))
        let drain = Thread { _ = errors.fileHandleForReading.readDataToEndOfFile() }
        drain.start()
        // Kill rank 1 once a few steps are checkpointed.
        let deadline = Date().addingTimeInterval(60)
        while p.isRunning && Date() < deadline && ((try? RunDirectory(killed).readMetrics().count) ?? 0) < 5 {
            Thread.sleep(forTimeInterval: 0.01)
        }
        let victim = try #require(MPIFixtures.rankProcess(of: p.processIdentifier, rank: 1), "rank 1 not found (did the run end early?)")
        kill(victim, SIGKILL)
        let killedAt = Date()
        while p.isRunning && Date().timeIntervalSince(killedAt) < 20 { Thread.sleep(forTimeInterval: 0.05) }
        let stopped = !p.isRunning
        if !stopped { p.terminate() }
        p.waitUntilExit()
        #expect(stopped, "mpirun still ran 20 s after rank 1 was killed")
        #expect(Date().timeIntervalSince(killedAt) < 10)
        #expect(p.terminationStatus != 0)
        let done = try RunDirectory(killed).readMetrics().count
        #expect(done < epochs * 5, "the run finished (\(done) steps) before the kill took effect")

        let resumed = try MPIFixtures.run(2, "distill", w.distill(killed, epochs: epochs, extra: ["--resume"]), log: w.log("resumed"))
        #expect(resumed.status == 0, "\(resumed.stderr)")
        // The same ranks replay the same sums from the checkpoint's exact state: bit for bit.
        let (wk, wr) = (try Self.weights(killed), try Self.weights(reference))
        #expect(wk.names == wr.names)
        for name in wr.names { #expect(try wk.floats(name) == wr.floats(name), "\(name) differs") }
        #expect(try RunDirectory(killed).readMetrics().map(\.loss) == RunDirectory(reference).readMetrics().map(\.loss))
    }
}
