import ArgumentParser
import Distill
import Evaluate
import FeatureExtract
import Foundation
import Models
import Plot
import Tensor
import VideoIO

/// Whose features `mvd similarity` looks at.
public enum SimilaritySubject: String, ExpressibleByArgument, CaseIterable, Sendable {
    case image, video, student
}

/// `mvd similarity`: the frame-by-frame feature similarity matrix (the paper's Figure 3).
public struct SimilarityCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "similarity",
        abstract: "Frame-by-frame feature similarity of a teacher or a student, averaged over videos (PNG + JSON).",
        discussion: """
            For each video's centre view, the features of each time slice (frames 0, 2, 4, … for the image teacher; \
            tubelets for video models) are compared token by token with cosine similarity and averaged over positions \
            and videos. Video teachers capture more temporal change than image teachers, so their off-diagonal \
            similarity is lower — the paper's Figure 3.
            """)

    @Option(help: "image or video (a teacher checkpoint), or student (a --run directory).") var subject: SimilaritySubject
    @Option(help: "Teacher checkpoint (with --subject image|video).") var checkpoint: String?
    @Option(name: .customLong("run"), help: "Run directory (with --subject student).") var runDirectory: String?
    @OptionGroup var model: ModelOptions
    @Option(help: "Manifest of the videos to average over.") var manifest: String
    @Option var dataRoot: String?
    @Option(help: "Videos to use (the first N of the manifest).") var maxVideos: Int = 32
    @Option var samplingRate: Int = 2
    @Option(help: "Output prefix: writes PREFIX.png and PREFIX.json.") var out: String
    @Option(help: "Title of the heat map.") var title: String?
    @Option var threads: Int?
    @Flag(help: "Replace PREFIX.png and PREFIX.json when they exist.") var overwrite = false

    public init() {}

    /// The most videos `--max-videos` averages over.
    static let maxVideos = 100_000

    public func validate() throws {
        try FlagChecks.threads(threads)
        try FlagChecks.integer("--max-videos", maxVideos, in: 1...Self.maxVideos)
        try FlagChecks.integer("--sampling-rate", samplingRate, in: 1...ExtractConfig.limits.samplingRate)
        try FlagChecks.refuseExisting([out + ".png", out + ".json"], overwrite: overwrite)
    }

    public func run() throws {
        try applyThreads(threads)
        let entries = Array(try Manifest.load(from: URL(fileURLWithPath: manifest), dataRoot: dataRoot).prefix(maxVideos))
        let (config, features) = try featureFunction()
        var clips: [Tensor] = []
        for entry in entries {
            guard let reader = try? VideoReader(path: entry.resolvedPath),
                  let clip = try? reader.clip(for: ClipFeatures.centerView(reader.info, config: config, samplingRate: samplingRate)) else { continue }
            let f = features(ClipFeatures.batch([clip]))                         // [1, T'·L, D]
            let slices = config.numFrames / config.tubeletSize
            clips.append(f.reshaped([slices, f.shape[1] / slices, f.shape[2]]))
        }
        guard !clips.isEmpty else { throw ValidationError("no video of \(manifest) could be decoded") }
        let matrix = try SimilarityMatrix(clips: clips)
        let name = title ?? "\(subject.rawValue) features: frame-by-frame cosine similarity"
        let image = try HeatMap(title: name, xLabel: "time slice", yLabel: "time slice", values: matrix.values, range: 0...1).render()
        try PNG.write(image, to: URL(fileURLWithPath: out + ".png"))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(matrix).write(to: URL(fileURLWithPath: out + ".json"), options: .atomic)
        print(String(format: "%@: %d videos, mean off-diagonal similarity %.3f; wrote %@.png and %@.json", subject.rawValue, matrix.clipCount,
                     matrix.meanOffDiagonal ?? 1, out, out))
    }

    /// The model config and a function from clips [1, 3, T, S, S] to per-token features [1, T'·L, D].
    private func featureFunction() throws -> (ModelConfig, (Tensor) -> Tensor) {
        switch subject {
        case .image, .video:
            guard let checkpoint else { throw ValidationError("--subject \(subject.rawValue) needs --checkpoint") }
            let (_, config) = try model.resolve(defaultArch: "vit_base", positionTable: subject == .image ? .sincos2D : .sinusoid1D)
            let (teacher, _) = try FrozenTeacher.load(subject == .image ? .image : .video, checkpoint: URL(fileURLWithPath: checkpoint),
                                                      config: config, frameStride: config.tubeletSize)
            return (config, teacher.features)
        case .student:
            guard let run = runDirectory else { throw ValidationError("--subject student needs --run") }
            let student = try RunDirectory(URL(fileURLWithPath: run)).loadStudent()
            let none = [Bool](repeating: false, count: student.tokens)
            return (student.config, { student.encode(clips: $0, mask: none, applyFinalNorm: false) })
        }
    }
}

/// `mvd plot-metrics`: loss curves of runs as a PNG.
public struct PlotMetricsCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(commandName: "plot-metrics",
                                                           abstract: "Plot the training loss of one or more runs (from metrics.jsonl) as a PNG.")

    @Argument(help: "Run directories.") var runs: [String]
    @Option(help: "Output PNG.") var out: String
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
            let m = try RunDirectory(URL(fileURLWithPath: dir)).readMetrics()
            return LineSeries(name: URL(fileURLWithPath: dir).lastPathComponent, x: m.map { Double($0.step) }, y: m.map(\.loss))
        }
        try PNG.write(try LineChart(title: title, xLabel: "optimiser step", yLabel: "loss", series: series, logY: logY).render(),
                      to: URL(fileURLWithPath: out))
        print("wrote \(out)")
    }
}
