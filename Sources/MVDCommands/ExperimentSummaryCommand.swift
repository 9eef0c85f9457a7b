import ArgumentParser
import Distill
import Evaluate
import Foundation
import Plot

/// `mvd experiment-summary OUT`: the results of `pipelines/experiment.sh` over all its seeds, as means with 95%
/// confidence intervals, the paper's comparisons as paired differences, and the transfer check.
public struct ExperimentSummaryCommand: ParsableCommand {
    public init() {}
    public static let configuration = CommandConfiguration(
        commandName: "experiment-summary",
        abstract: "Summarise an experiment folder: OUT/results.json, OUT/results.md and OUT/results.png.",
        discussion: """
            Reads OUT/seed-*/eval/RUN/TASK/evaluation.json and OUT/seed-*/finetune/RUN/TASK/evaluation.json \
            (written by evaluate --out) and OUT/experiment.json (mvd experiment-prepare). Protocols are reported as \
            probe (linear probe), knn and finetune (multi-view test after fine-tuning). Each comparison is the \
            difference of two runs on the same seed, averaged over seeds, with a Student-t 95% interval; on a task that \
            fails the learnability gate (labels not learnt clearly above an untrained encoder) every verdict is "not \
            testable". See docs/experiment/README.md.
            """)

    @Argument(help: "The experiment's output folder.", transform: URL.init(fileURLWithPath:))
    var out: URL

    @Option(help: "Fraction of the supervised teacher's probe accuracy (above chance) that the distilled student must reach for the transfer check.")
    var transferFraction: Double = 0.8

    /// The paper's claims, as (claim, a, b, task). Each is checked under every protocol that both runs have.
    static let claims: [(String, String, String, String)] = [
        ("the image teacher knows appearance", "teacher-image", "untrained-image", "appearance"),
        ("the video teacher knows motion", "teacher-video", "untrained", "motion"),
        ("co-teaching beats pixel targets", "student-both", "student-pixels", "appearance"),
        ("co-teaching beats pixel targets", "student-both", "student-pixels", "motion"),
        ("co-teaching beats the image teacher alone", "student-both", "student-image", "appearance"),
        ("co-teaching beats the image teacher alone", "student-both", "student-image", "motion"),
        ("co-teaching beats the video teacher alone", "student-both", "student-video", "appearance"),
        ("co-teaching beats the video teacher alone", "student-both", "student-video", "motion"),
        ("the image-taught student is better on appearance", "student-image", "student-video", "appearance"),
        ("the video-taught student is better on motion", "student-video", "student-image", "motion"),
        ("distilling a supervised teacher transfers its knowledge", "transfer-student", "student-random-teacher", "appearance"),
        ("distilling a supervised teacher transfers its knowledge", "transfer-student", "student-random-teacher", "motion"),
        ("pre-training beats no pre-training (students)", "student-both", "untrained", "appearance"),
        ("pre-training beats no pre-training (students)", "student-both", "untrained", "motion")
    ]

    public func run() throws {
        let root = out
        // Baselines first, then teachers, then students; runs of other names after them.
        let order = [
            "untrained", "untrained-image", "pixel-probe", "supervised", "transfer-teacher", "transfer-student", "student-random-teacher",
            "teacher-image", "teacher-video", "student-pixels", "student-image", "student-video", "student-both"
        ]
        let rank = { (run: String) in order.firstIndex(of: run) ?? order.count }
        let settings = try readSettings(root)
        // Seed folders beyond this run's --seeds were made by an earlier run with more seeds: not this run's results.
        let measurements = try collect(root).filter { settings == nil || $0.seed <= settings!.seeds }.enumerated().sorted {
            (rank($0.element.run), $0.offset) < (rank($1.element.run), $1.offset)
        }.map(\.element)
        guard !measurements.isEmpty else {
            throw CommandFailure("no OUT/seed-*/eval/RUN/TASK/evaluation.json under \(root.path); run pipelines/experiment.sh first")
        }
        let rows = ExperimentSummary.rows(measurements)
        let tasks = settings?.data.tasks.map(\.name) ?? Array(Set(rows.map(\.task))).sorted()
        let gates = tasks.map { LearnabilityGate.evaluate(task: $0, rows: rows, chance: chanceLevel(task: $0, settings: settings)) }
        let protocols = Array(Set(measurements.map(\.evaluationProtocol))).sorted()
        let comparisons = LearnabilityGate.apply(
            gates,
            to: Self.claims.flatMap { claim, a, b, task in
                protocols.compactMap { ExperimentSummary.compare(claim: claim, a: a, b: b, task: task, evaluationProtocol: $0, in: measurements) }
            })
        let transfer = transferCheck(rows, gates: gates, settings: settings)
        let summary = Summary(settings: settings, gates: gates, rows: rows, comparisons: comparisons, transfer: transfer)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(summary).write(to: root.appendingPathComponent("results.json"), options: .atomic)

        let lossChart = try plotLosses(root, seeds: settings?.seeds, to: root.appendingPathComponent("results-loss.png"))
        let md = Self.markdown(summary, transferFraction: transferFraction, lossChart: lossChart)
        try md.write(to: root.appendingPathComponent("results.md"), atomically: true, encoding: .utf8)
        print(md)
        try plot(rows, to: root.appendingPathComponent("results.png"))
        print("wrote \(root.appendingPathComponent("results.json").path), results.md, results.png\(lossChart ? " and results-loss.png" : "")")
    }

    /// results.md: the three-line reading first, then the learnability gate, the tables, the comparisons and the
    /// transfer check.
    static func markdown(_ summary: Summary, transferFraction: Double, lossChart: Bool) -> String {
        var md = "# Results\n\n" + reading(summary).map { "- \($0)\n" }.joined()
        if let s = summary.settings {
            let m = s.model
            md +=
                "\nGeometry: \(m.numFrames) frames at stride \(s.samplingRate), \(m.inputSize)×\(m.inputSize) px, patch "
                + "\(m.patchSize), tubelet \(m.tubeletSize) (\(m.videoTokens) tokens), width \(m.embedDim), depth \(m.depth); "
                + String(format: "budget ×%g; ", s.budget) + "\(s.seeds) student seed(s), \(s.teacherSeeds) teacher set(s), "
                + "\(s.finetuneSeeds) fine-tuned seed(s); precision \(s.precision).\n"
        }
        md += "\n## Learnability gate\n\n"
        for g in summary.gates { md += "- \(g.testable ? "testable" : "**not testable**"): \(g.reason).\n" }
        md +=
            "\n## Runs\n\nTop-1 accuracy (%), mean over seeds with its 95% confidence interval; n is the number of seeds "
            + "(teacher sets for the teachers, student seeds for the students and baselines). Protocols: probe (linear probe on "
            + "frozen features), knn (k-NN on frozen features), finetune (fine-tuned, multi-view test).\n\n"
        md += ExperimentSummary.markdown(summary.rows)
        md += "\n## The paper's comparisons (paired by seed: a − b)\n\n" + ExperimentSummary.markdown(summary.comparisons)
        md += "\n## Transfer check\n\n"
        for t in summary.transfer {
            let head = String(
                format: "- %@ %@: teacher %.1f, distilled student %.1f, chance %.1f: ", t.task, t.evaluationProtocol,
                t.teacher, t.student, t.chance)
            if !t.testable {
                md += head + "not testable (the task did not pass the learnability gate)\n"
            } else if let retained = t.retained {
                md +=
                    head
                    + String(
                        format: "the student keeps %.0f%% of what the teacher knows above chance (%@ %.0f%%)\n",
                        100 * retained, t.passed ? "≥" : "<", 100 * transferFraction)
            } else {
                md +=
                    head
                    + String(
                        format: "the teacher is within %.0f points of chance, so there is nothing to transfer (not passed)\n",
                        ExperimentSummary.minimumTeacherMargin)
            }
        }
        if lossChart { md += "\n![students' training loss](results-loss.png)\n" }
        return md
    }

    /// Three lines: the claims that hold, those that fail, and what was not testable or inconclusive.
    static func reading(_ summary: Summary) -> [String] {
        func list(_ verdict: String) -> String {
            var order: [String] = []
            var protocols: [String: [String]] = [:]
            for c in summary.comparisons where c.verdict == verdict {
                let key = "\(c.claim) (\(c.task)"
                if protocols[key] == nil { order.append(key) }
                protocols[key, default: []].append(c.evaluationProtocol)
            }
            return order.isEmpty ? "none" : order.map { "\($0): \(protocols[$0]!.joined(separator: ", ")))" }.joined(separator: "; ")
        }
        let untestable = summary.gates.filter { !$0.testable }
        var third = "**Not testable:** " + (untestable.isEmpty ? "none" : untestable.map(\.task).joined(separator: ", ") + " (see the gate below)")
        third += "; inconclusive: " + list("inconclusive")
        return ["**Holds:** " + list("holds"), "**Fails:** " + list("fails"), third]
    }

    /// OUT/experiment.json, written by `mvd experiment-prepare`; nil for an experiment folder made before it existed.
    func readSettings(_ root: URL) throws -> ExperimentSettings? {
        let file = root.appendingPathComponent("experiment.json")
        guard let data = FileManager.default.contents(atPath: file.path) else { return nil }
        do { return try JSONDecoder().decode(ExperimentSettings.self, from: data) } catch {
            throw CommandFailure("\(file.path) cannot be read (\(error)); rerun pipelines/experiment.sh, which rewrites it")
        }
    }

    struct TransferResult: Codable {
        var task: String, evaluationProtocol: String
        /// `retained` is nil when the teacher is within `ExperimentSummary.minimumTeacherMargin` points of chance: it knows nothing
        /// to transfer, and the check cannot pass. `testable` is false when the task failed the learnability gate.
        var teacher: Double, student: Double, chance: Double, retained: Double?, testable: Bool, passed: Bool
        enum CodingKeys: String, CodingKey { case task, evaluationProtocol = "protocol", teacher, student, chance, retained, testable, passed }
    }

    struct Summary: Codable {
        var settings: ExperimentSettings?
        var gates: [LearnabilityGate]
        var rows: [ExperimentRow]
        var comparisons: [ExperimentComparison]
        var transfer: [TransferResult]
        enum CodingKeys: String, CodingKey { case settings = "experiment", gates = "gate", rows, comparisons, transfer }
    }

    /// The transfer student's accuracy above chance as a fraction of its teacher's, per task and frozen protocol; passed
    /// only on a testable task, with the teacher clearly above chance.
    func transferCheck(_ rows: [ExperimentRow], gates: [LearnabilityGate], settings: ExperimentSettings?) -> [TransferResult] {
        rows.filter { $0.run == "transfer-teacher" && $0.evaluationProtocol != "finetune" }.compactMap { teacher in
            guard
                let student = rows.first(where: {
                    $0.run == "transfer-student" && $0.task == teacher.task
                        && $0.evaluationProtocol == teacher.evaluationProtocol
                })
            else { return nil }
            let chance = chanceLevel(task: teacher.task, settings: settings)
            let retained = ExperimentSummary.retained(teacher: teacher.mean, student: student.mean, chance: chance)
            let testable = gates.first { $0.task == teacher.task }?.testable ?? false
            return TransferResult(
                task: teacher.task, evaluationProtocol: teacher.evaluationProtocol, teacher: teacher.mean,
                student: student.mean, chance: chance, retained: retained, testable: testable,
                passed: testable && (retained ?? 0) >= transferFraction)
        }
    }

    /// The chance level measured on the data (experiment.json); for older folders 100 / classes, from any
    /// evaluation.json of the task.
    func chanceLevel(task: String, settings: ExperimentSettings?) -> Double {
        if let t = settings?.data.tasks.first(where: { $0.name == task }) { return t.chance }
        guard let seeds = try? seedFolders(out), let seed = seeds.first,
            let runs = try? FileManager.default.contentsOfDirectory(atPath: seed.appendingPathComponent("eval").path)
        else { return 0 }
        for run in runs {
            let file = seed.appendingPathComponent("eval/\(run)/\(task)/evaluation.json")
            if let data = try? Data(contentsOf: file), let r = try? JSONDecoder().decode([EvaluationResult].self, from: data).first,
                r.classCount > 0
            {
                return 100 / Double(r.classCount)
            }
        }
        return 0
    }

    func seedFolders(_ root: URL) throws -> [URL] {
        try FileManager.default.contentsOfDirectory(atPath: root.path).filter { $0.hasPrefix("seed-") }.sorted()
            .map { root.appendingPathComponent($0) }
    }

    /// Every evaluation.json under OUT/seed-S/eval/RUN/TASK/ (frozen protocols, and supervised runs from scratch) and
    /// OUT/seed-S/finetune/RUN/TASK/ (pre-trained encoders fine-tuned), as measurements of seed S.
    func collect(_ root: URL) throws -> [ExperimentMeasurement] {
        let fm = FileManager.default
        var out: [ExperimentMeasurement] = []
        for seedDir in try seedFolders(root) {
            guard let seed = Int(seedDir.lastPathComponent.dropFirst("seed-".count)) else { continue }
            for kind in ["eval", "finetune"] {
                let kindDir = seedDir.appendingPathComponent(kind)
                for run in ((try? fm.contentsOfDirectory(atPath: kindDir.path)) ?? []).sorted() {
                    for task in ((try? fm.contentsOfDirectory(atPath: kindDir.appendingPathComponent(run).path)) ?? []).sorted() {
                        let file = kindDir.appendingPathComponent("\(run)/\(task)/evaluation.json")
                        guard let data = try? Data(contentsOf: file) else { continue }
                        let results: [EvaluationResult]
                        do { results = try JSONDecoder().decode([EvaluationResult].self, from: data) } catch {
                            throw CommandFailure("\(file.path) is not an evaluation result (\(error)); rerun that evaluation")
                        }
                        out += results.map {
                            ExperimentMeasurement(
                                run: run, task: task, evaluationProtocol: Self.protocolName($0.evaluationProtocol), seed: seed, top1: $0.top1)
                        }
                    }
                }
            }
        }
        return out
    }

    static func protocolName(_ p: EvaluationProtocol) -> String {
        switch p {
        case .knn: return "knn"
        case .linear: return "probe"
        case .multiView: return "finetune"
        }
    }

    /// The students' training loss, one curve per student run (mean over the seeds that logged the same steps), from
    /// OUT/seed-*/RUN/metrics.jsonl; false when no student logged a loss.
    func plotLosses(_ root: URL, seeds: Int?, to url: URL) throws -> Bool {
        var sums: [String: [Int: (Double, Int)]] = [:]
        var order: [String] = []
        for seedDir in try seedFolders(root) {
            if let seeds, let seed = Int(seedDir.lastPathComponent.dropFirst("seed-".count)), seed > seeds { continue }
            for run in ((try? FileManager.default.contentsOfDirectory(atPath: seedDir.path)) ?? []).sorted()
            where run.hasPrefix("student-") || run == "transfer-student" {
                guard let metrics = try? RunDirectory(seedDir.appendingPathComponent(run)).readMetrics(), !metrics.isEmpty else { continue }
                if sums[run] == nil { order.append(run) }
                for m in metrics {
                    let (s, n) = sums[run, default: [:]][m.step] ?? (0, 0)
                    sums[run, default: [:]][m.step] = (s + m.loss, n + 1)
                }
            }
        }
        guard !order.isEmpty else {
            try? FileManager.default.removeItem(at: url)  // an earlier run's chart is not this run's
            return false
        }
        let series = order.map { run -> LineSeries in
            let points = sums[run]!.sorted { $0.key < $1.key }
            return LineSeries(name: run, x: points.map { Double($0.key) }, y: points.map { $0.value.0 / Double($0.value.1) })
        }
        let chart = LineChart(
            title: "students' training loss (mean over seeds)", xLabel: "optimiser step", yLabel: "loss", series: series, logY: true)
        try PNG.write(try chart.render(), to: url)
        return true
    }

    /// Bars of the probe accuracy per run, one series per task, with 95% whiskers.
    func plot(_ rows: [ExperimentRow], to url: URL) throws {
        let probe = rows.filter { $0.evaluationProtocol == "probe" }
        var runs: [String] = []
        for r in probe where !runs.contains(r.run) { runs.append(r.run) }
        let tasks = Array(Set(probe.map(\.task))).sorted()
        guard !runs.isEmpty else { return }
        let series = tasks.map { task -> BarSeries in
            let cells = runs.map { run in probe.first { $0.run == run && $0.task == task } }
            return BarSeries(
                name: task, values: cells.map { $0?.mean ?? .nan },
                // Accuracies lie in [0, 100]; a t-interval may reach past them, the whisker does not.
                intervals: cells.map { c in c?.ci95.map { max(0, $0[0])...min(100, $0[1]) } })
        }
        let chart = BarChart(
            title: "linear probe top-1 (%), mean and 95% interval over seeds", xLabel: "run", yLabel: "top-1 %",
            categories: runs, series: series, valueFormat: "%.0f", width: max(900, 120 * runs.count + 300))
        try PNG.write(try chart.render(), to: url)
    }
}
