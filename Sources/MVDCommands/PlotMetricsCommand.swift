import ArgumentParser
import Distill
import Foundation
import Plot

/// `mvd plot-metrics`: loss curves of runs as a PNG.
public struct PlotMetricsCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "plot-metrics",
        abstract: "Plot the training loss of one or more runs (from metrics.jsonl) as a PNG.")

    @Argument(help: "Run directories.", transform: URL.init(fileURLWithPath:)) var runs: [URL]
    @Option(help: "Output PNG.", transform: URL.init(fileURLWithPath:)) var out: URL
    @Option var title: String = "training loss"
    @Flag(help: "Logarithmic loss axis.") var logY = false
    @Flag(help: "Replace the output PNG when it exists.") var overwrite = false

    public init() {}

    public func validate() throws {
        guard !runs.isEmpty else { throw ValidationError("give at least one run directory") }
        try FlagChecks.refuseExisting([out], overwrite: overwrite)
    }

    public func run() throws {
        let series = try runs.map { dir -> LineSeries in
            let m = try RunDirectory(dir).readMetrics()
            return LineSeries(name: dir.lastPathComponent, x: m.map { Double($0.step) }, y: m.map(\.loss))
        }
        try PNG.write(
            try LineChart(title: title, xLabel: "optimiser step", yLabel: "loss", series: series, logY: logY).render(),
            to: out)
        print("wrote \(out.path)")
    }
}
