import Foundation
import TestSupport
import Testing

/// pipelines/experiment.sh run against a stand-in for mvd that records every call and makes the outputs the pipeline
/// looks for (the experiment's own bookkeeping, `experiment-prepare` and `experiment-summary`, runs the real mvd):
/// which stages a rerun redoes after an input changed, and what is refused before any work.
@Suite struct ExperimentPipelineTests {
    /// A data folder of 4 unlabeled and, per task, 4 training and 2 validation videos (empty files: the stand-in
    /// never decodes them).
    static func data(in dir: URL) throws -> URL {
        let data = dir.appendingPathComponent("data")
        let fm = FileManager.default
        try fm.createDirectory(at: data, withIntermediateDirectories: true)
        for i in 0..<10 { _ = fm.createFile(atPath: data.appendingPathComponent("v\(i).mp4").path, contents: Data()) }
        _ = try CommandFixtures.write("v0.mp4 0\nv1.mp4 0\nv2.mp4 0\nv3.mp4 0\n", to: data.appendingPathComponent("unlabeled.csv"))
        for task in ["appearance", "motion"] {
            _ = try CommandFixtures.write("v4.mp4 0\nv5.mp4 1\nv6.mp4 0\nv7.mp4 1\n", to: data.appendingPathComponent("\(task)/train.csv"))
            _ = try CommandFixtures.write("v8.mp4 0\nv9.mp4 1\n", to: data.appendingPathComponent("\(task)/val.csv"))
        }
        return data
    }

    static let stub = #"""
        #!/usr/bin/env bash
        # A stand-in for mvd: records each call as "COMMAND OUT", makes what the pipeline checks for.
        set -euo pipefail
        cmd="$1"
        case "$cmd" in experiment-prepare|experiment-summary) exec "$REAL_MVD" "$@" ;; esac
        out="" save="" prev=""
        for a in "$@"; do
          case "$prev" in --out) out="$a" ;; --save-teacher) save="$a" ;; esac
          prev="$a"
        done
        # A finished training run is resumed on every rerun (and does nothing): logged as such.
        if [ "$cmd" = distill ] && [[ " $* " == *" --resume "* ]]; then echo "distill-resume $out" >> "$STUB_LOG"; else echo "$cmd $out" >> "$STUB_LOG"; fi
        case "$cmd" in
          distill) mkdir -p "$out"; echo x > "$out/checkpoint.safetensors" ;;
          evaluate)
            mkdir -p "$out"
            if [[ " $* " == *" --protocol finetune "* ]]; then protos="multi-view"; else protos="knn linear"; fi
            json="[" sep=""
            for p in $protos; do
              json+="$sep{\"run\":\"stub\",\"protocol\":\"$p\",\"top1\":50,\"top5\":100,\"subsets\":[],\"perClass\":[],"
              json+="\"trainCount\":4,\"evaluatedCount\":2,\"classCount\":2}"
              sep=","
            done
            echo "$json]" > "$out/evaluation.json"
            if [ -n "$save" ]; then echo x > "$save"; fi ;;
          extract-features) [ -f "$out" ] || echo x > "$out" ;;
          export|init-encoder) echo x > "$out" ;;
          *) echo "stand-in mvd: unexpected command $cmd" >&2; exit 3 ;;
        esac
        """#

    struct Run {
        var status: Int32
        var output: String
        /// The stand-in's calls, "COMMAND OUT" each, with OUT relative to the experiment folder.
        var calls: [String]
    }

    /// Runs the pipeline with the stand-in on `data` into `dir/out`; the calls of this run only.
    static func experiment(_ dir: URL, data: URL, _ extra: [String] = []) throws -> Run {
        let stubURL = dir.appendingPathComponent("mvd-stub")
        if !FileManager.default.fileExists(atPath: stubURL.path) {
            _ = try CommandFixtures.write(stub, to: stubURL)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: stubURL.path)
        }
        let log = dir.appendingPathComponent("calls.log")
        try? FileManager.default.removeItem(at: log)
        let out = dir.appendingPathComponent("out")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments =
            [
                Fixtures.packageRoot.appendingPathComponent("pipelines/experiment.sh").path, "--data", data.path, "--out", out.path,
                "--mvd", stubURL.path, "--seeds", "2", "--finetune-seeds", "1", "--precision", "fp32"
            ] + extra
        var environment = ProcessInfo.processInfo.environment
        environment["REAL_MVD"] = try #require(Fixtures.builtProduct("mvd"), "build the products first (swift build --build-tests)").path
        environment["STUB_LOG"] = log.path
        p.environment = environment
        let output = dir.appendingPathComponent("output.txt")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        let handle = try FileHandle(forWritingTo: output)
        p.standardOutput = handle
        p.standardError = handle
        try ChildProcess.run(p)
        p.waitUntilExit()
        try handle.close()
        let calls = ((try? String(contentsOf: log, encoding: .utf8)) ?? "").split(separator: "\n")
            .map { $0.replacingOccurrences(of: out.path + "/", with: "") }
        return Run(status: p.terminationStatus, output: try String(contentsOf: output, encoding: .utf8), calls: calls)
    }

    @Test func aChangedLabelRedoesTheStagesThatDependOnItAndNothingElse() throws {
        let dir = try Fixtures.temporaryDirectory("experiment-pipeline")
        let data = try Self.data(in: dir)
        let first = try Self.experiment(dir, data: data)
        #expect(first.status == 0, "\(first.output.suffix(3000))")
        #expect(first.calls.contains("distill seed-1/teacher-video"))
        #expect(first.calls.contains("evaluate seed-1/finetune/student-both/motion"), "the paper's protocol: students fine-tuned")
        #expect(!first.calls.contains { $0.hasPrefix("evaluate seed-2/finetune/") }, "--finetune-seeds 1")

        let again = try Self.experiment(dir, data: data)
        #expect(again.status == 0, "\(again.output.suffix(3000))")
        #expect(again.calls.allSatisfy { $0.hasPrefix("distill-resume ") }, "an unchanged rerun does nothing again: \(again.calls)")
        #expect(again.calls.contains("distill-resume seed-2/student-both"))

        // Two appearance labels swapped: the same classes, other labels.
        _ = try CommandFixtures.write(
            "v4.mp4 1\nv5.mp4 0\nv6.mp4 0\nv7.mp4 1\n", to: data.appendingPathComponent("appearance/train.csv"))
        let changed = try Self.experiment(dir, data: data)
        #expect(changed.status == 0, "\(changed.output.suffix(3000))")
        let redone = Set(changed.calls)
        // Redone: what reads appearance labels, and what reads those.
        for call in [
            "evaluate seed-1/transfer-teacher-training",  // the transfer teacher learns both tasks' labels
            "extract-features seed-1/feats.h5",  // its features
            "distill seed-1/transfer-student", "distill seed-2/transfer-student",  // its students
            "evaluate seed-1/eval/supervised/appearance", "evaluate seed-2/eval/supervised/appearance",
            "evaluate seed-1/eval/student-both/appearance", "evaluate seed-2/eval/untrained/appearance",
            "evaluate seed-1/finetune/student-pixels/appearance",
            "evaluate seed-1/eval/transfer-student/motion"  // another teacher, so another student
        ] {
            #expect(redone.contains(call), "\(call) must be redone")
        }
        // Kept: what never reads appearance labels.
        for call in [
            "extract-features views.h5", "distill seed-1/teacher-video", "distill seed-1/teacher-image",
            "distill seed-1/student-both", "distill seed-2/student-pixels", "distill seed-1/student-random-teacher",
            "evaluate seed-1/eval/student-both/motion", "evaluate seed-1/eval/supervised/motion",
            "evaluate seed-1/finetune/student-video/motion"
        ] {
            #expect(!redone.contains(call), "\(call) must be kept")
        }
        #expect(changed.output.contains("was made from other inputs: redoing it"))
    }

    @Test func aChangedBudgetRedoesTheTrainingAndARefusedLabelStopsBeforeAnyWork() throws {
        let dir = try Fixtures.temporaryDirectory("experiment-pipeline")
        let data = try Self.data(in: dir)
        #expect(try Self.experiment(dir, data: data).status == 0)
        let budget = try Self.experiment(dir, data: data, ["--budget", "2"])
        #expect(budget.status == 0, "\(budget.output.suffix(3000))")
        #expect(budget.calls.contains("distill seed-1/teacher-video"), "epochs changed: the teachers are trained again")
        #expect(!budget.calls.contains("extract-features views.h5"), "the views do not depend on the budget")
        let settings = try String(contentsOf: dir.appendingPathComponent("out/experiment.json"), encoding: .utf8)
        #expect(settings.contains("\"teachers\" : 60"), "the epochs as run are recorded: \(settings)")

        // Class 1 missing from training: refused with the file, before any stage runs.
        _ = try CommandFixtures.write("v4.mp4 0\nv5.mp4 2\nv6.mp4 0\nv7.mp4 2\n", to: data.appendingPathComponent("motion/train.csv"))
        let refused = try Self.experiment(dir, data: data)
        #expect(refused.status == 2)
        #expect(refused.output.contains("motion/train.csv: class 1 has no training video"), "\(refused.output.suffix(2000))")
        #expect(refused.calls.isEmpty, "nothing runs on refused data: \(refused.calls)")
    }
}
