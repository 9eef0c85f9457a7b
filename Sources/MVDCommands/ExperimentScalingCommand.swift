import ArgumentParser
import Evaluate
import Foundation
import Plot

/// `mvd experiment-scaling`: how co-teaching's gaps move with the training budget, from several experiment folders
/// run with different `--budget` (each summarised by `mvd experiment-summary`).
public struct ExperimentScalingCommand: ParsableCommand {
    public init() {}
    public static let configuration = CommandConfiguration(
        commandName: "experiment-scaling",
        abstract: "Co-teaching's paired gaps against the budget, from experiment folders run at several --budget values.",
        discussion: """
            Reads OUT/results.json of each folder (mvd experiment-summary) and writes DIR/scaling.md, DIR/scaling.json \
            and one chart per protocol, DIR/scaling-PROTOCOL.png: the paired gaps MVD − video-taught student on \
            motion, MVD − image-taught student on appearance, and MVD − pixel student on both tasks, against the budget \
            (means in the charts; the table gives their 95% intervals over student seeds). A gap on a task that failed the learnability gate is \
            listed as not testable and left out of the charts.
            """)

    @Argument(help: "Experiment folders, each summarised, run with different --budget.", transform: URL.init(fileURLWithPath:))
    var experiments: [URL]
    @Option(help: "Output folder.", transform: URL.init(fileURLWithPath:)) var out: URL

    /// The gaps studied, as (label, a, b, task).
    static let gaps: [(String, String, String, String)] = [
        ("MVD − video-taught, motion", "student-both", "student-video", "motion"),
        ("MVD − image-taught, appearance", "student-both", "student-image", "appearance"),
        ("MVD − pixels, appearance", "student-both", "student-pixels", "appearance"),
        ("MVD − pixels, motion", "student-both", "student-pixels", "motion")
    ]

    /// One gap at one budget under one protocol.
    struct Point: Codable, Equatable {
        var gap: String
        var evaluationProtocol: String
        var budget: Double
        var seeds: Int
        var meanDifference: Double
        var ci95: [Double]?
        var verdict: String
        enum CodingKeys: String, CodingKey {
            case gap, evaluationProtocol = "protocol", budget, seeds, meanDifference = "mean_difference", ci95, verdict
        }
    }

    public func validate() throws {
        guard experiments.count >= 2 else { throw ValidationError("give two or more experiment folders, run at different --budget") }
    }

    public func run() throws {
        var points: [Point] = []
        for dir in experiments {
            let file = dir.appendingPathComponent("results.json")
            guard let data = FileManager.default.contents(atPath: file.path) else {
                throw CommandFailure("\(file.path) is missing; run mvd experiment-summary \(dir.path) first")
            }
            let summary: ExperimentSummaryCommand.Summary
            do { summary = try JSONDecoder().decode(ExperimentSummaryCommand.Summary.self, from: data) } catch {
                throw CommandFailure("\(file.path) cannot be read (\(error)); rerun mvd experiment-summary \(dir.path)")
            }
            guard let budget = summary.settings?.budget else {
                throw CommandFailure("\(file.path) does not say its budget (made before experiment.json existed); rerun the experiment")
            }
            points += Self.points(summary.comparisons, budget: budget)
        }
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(points).write(to: out.appendingPathComponent("scaling.json"), options: .atomic)
        let md = Self.markdown(points)
        try md.write(to: out.appendingPathComponent("scaling.md"), atomically: true, encoding: .utf8)
        print(md)
        for proto in Array(Set(points.map(\.evaluationProtocol))).sorted() {
            let series = Self.gaps.compactMap { gap -> LineSeries? in
                let ps = points.filter { $0.gap == gap.0 && $0.evaluationProtocol == proto && $0.verdict != LearnabilityGate.notTestable }
                    .sorted { $0.budget < $1.budget }
                return ps.isEmpty ? nil : LineSeries(name: gap.0, x: ps.map(\.budget), y: ps.map(\.meanDifference))
            }
            guard !series.isEmpty else { continue }
            let chart = LineChart(
                title: "paired gap (points, mean over student seeds), \(proto)", xLabel: "budget (× epochs)", yLabel: "a − b",
                series: series)
            try PNG.write(try chart.render(), to: out.appendingPathComponent("scaling-\(proto).png"))
        }
        print("wrote \(out.appendingPathComponent("scaling.md").path), scaling.json and the charts")
    }

    static func points(_ comparisons: [ExperimentComparison], budget: Double) -> [Point] {
        gaps.flatMap { gap in
            comparisons.filter { $0.a == gap.1 && $0.b == gap.2 && $0.task == gap.3 }.map {
                Point(
                    gap: gap.0, evaluationProtocol: $0.evaluationProtocol, budget: budget, seeds: $0.perSeed.count,
                    meanDifference: $0.meanDifference, ci95: $0.ci95, verdict: $0.verdict)
            }
        }
    }

    /// One table per protocol: a row per gap, a column per budget, "mean [lo, hi]" (n seeds) or "not testable".
    static func markdown(_ points: [Point]) -> String {
        let budgets = Array(Set(points.map(\.budget))).sorted()
        var md = "# Co-teaching's gaps against the budget\n\nPaired by student seed (a − b, points), 95% intervals.\n"
        for proto in Array(Set(points.map(\.evaluationProtocol))).sorted() {
            md += "\n## \(proto)\n\n| gap | " + budgets.map { String(format: "budget ×%g", $0) }.joined(separator: " | ") + " |\n"
            md += "|---|" + String(repeating: "---|", count: budgets.count) + "\n"
            for gap in gaps {
                let cells = budgets.map { b -> String in
                    guard let p = points.first(where: { $0.gap == gap.0 && $0.evaluationProtocol == proto && $0.budget == b }) else { return "—" }
                    if p.verdict == LearnabilityGate.notTestable { return "not testable" }
                    return ExperimentSummary.cell(p.meanDifference, p.ci95, signed: true) + " (n \(p.seeds))"
                }
                md += "| \(gap.0) | " + cells.joined(separator: " | ") + " |\n"
            }
        }
        return md
    }
}
