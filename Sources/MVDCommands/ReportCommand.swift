import ArgumentParser
import Evaluate
import Foundation
import Plot

/// `mvd report`: one comparison table over several evaluated runs.
public struct ReportCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Combine the evaluation.json of several runs into one table (terminal, Markdown) and a bar chart.")

    @Argument(help: "Directories holding evaluation.json (run directories).", transform: URL.init(fileURLWithPath:)) var runs: [URL]
    @Option(help: "Output prefix: writes PREFIX.md and PREFIX.png.", transform: URL.init(fileURLWithPath:)) var out: URL
    @Flag(help: "Replace PREFIX.md and PREFIX.png when they exist.") var overwrite = false

    public init() {}

    var markdownFile: URL { out.appendingPathExtension("md") }
    var chartFile: URL { out.appendingPathExtension("png") }

    public func validate() throws {
        guard !runs.isEmpty else { throw ValidationError("give at least one run directory") }
        try FlagChecks.refuseExisting([markdownFile, chartFile], overwrite: overwrite)
    }

    public func run() throws {
        var results: [EvaluationResult] = []
        for dir in runs {
            let file = dir.appendingPathComponent("evaluation.json")
            guard let data = try? Data(contentsOf: file) else {
                throw CommandFailure("\(file.path) is missing: run evaluate for \(dir.path) first")
            }
            results += try JSONDecoder().decode([EvaluationResult].self, from: data)
        }
        let table = renderResultTable(results)
        print(table)
        try ("```\n" + table + "\n```\n").write(to: markdownFile, atomically: true, encoding: .utf8)
        let protocols = Array(Set(results.map(\.evaluationProtocol.rawValue))).sorted()
        let names = runs.map(\.lastPathComponent)
        var series: [BarSeries] = []
        for p in protocols {
            for subset in ["appearance", "motion"] {
                let values = names.map { name -> Double in
                    results.first { $0.run == name && $0.evaluationProtocol.rawValue == p }?
                        .subsets.first { $0.name == subset }?.top1 ?? 0
                }
                series.append(BarSeries(name: "\(p) \(subset)", values: values))
            }
        }
        let chart = BarChart(
            title: "top-1 accuracy (%) by class kind", xLabel: "run", yLabel: "top-1 %", categories: names, series: series,
            width: max(800, 300 + 130 * names.count))
        try PNG.write(try chart.render(), to: chartFile)
        print("wrote \(markdownFile.path) and \(chartFile.path)")
    }
}
