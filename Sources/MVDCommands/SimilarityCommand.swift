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
    @Option(help: "Teacher checkpoint (with --subject image|video).", transform: URL.init(fileURLWithPath:)) var checkpoint: URL?
    @Option(name: .customLong("run"), help: "Run directory (with --subject student).", transform: URL.init(fileURLWithPath:))
    var runDirectory: URL?
    @OptionGroup var model: ModelOptions
    @Option(help: "Manifest of the videos to average over.", transform: URL.init(fileURLWithPath:)) var manifest: URL
    @Option(help: "Directory the manifest's paths are relative to.", transform: URL.init(fileURLWithPath:)) var dataRoot: URL?
    @Option(help: "Videos to use (the first N of the manifest).") var maxVideos: Int = 32
    @Option var samplingRate: Int = 2
    @Option(help: "Output prefix: writes PREFIX.png and PREFIX.json.", transform: URL.init(fileURLWithPath:)) var out: URL
    @Option(help: "Title of the heat map.") var title: String?
    @Option var threads: Int?
    @Flag(help: "Replace PREFIX.png and PREFIX.json when they exist.") var overwrite = false

    public init() {}

    var imageFile: URL { out.appendingPathExtension("png") }
    var matrixFile: URL { out.appendingPathExtension("json") }

    /// The most videos `--max-videos` averages over.
    static let maxVideos = 100_000

    public func validate() throws {
        try FlagChecks.threads(threads)
        try FlagChecks.integer("--max-videos", maxVideos, in: 1...Self.maxVideos)
        try FlagChecks.integer("--sampling-rate", samplingRate, in: 1...ExtractConfig.limits.samplingRate)
        try FlagChecks.refuseExisting([imageFile, matrixFile], overwrite: overwrite)
        _ = try subjectFile()
    }

    /// The checkpoint of a teacher subject, or the run directory of a student.
    private func subjectFile() throws -> URL {
        switch subject {
        case .image, .video:
            guard let checkpoint else { throw ValidationError("--subject \(subject.rawValue) needs --checkpoint") }
            return checkpoint
        case .student:
            guard let runDirectory else { throw ValidationError("--subject student needs --run") }
            return runDirectory
        }
    }

    public func run() throws {
        try applyThreads(threads)
        let entries = Array(try Manifest.load(from: manifest, dataRoot: dataRoot?.path).prefix(maxVideos))
        let (config, features) = try featureFunction()
        var clips: [Tensor] = []
        var skipped: [SkippedVideo] = []
        let slices = config.numFrames / config.tubeletSize
        for entry in entries {
            let clip: Clip
            do {
                let reader = try VideoReader(path: entry.resolvedPath)
                clip = try reader.clip(for: ClipFeatures.centerView(reader.info, config: config, samplingRate: samplingRate))
            } catch {
                skipped.append(SkippedVideo(path: entry.path, reason: "\(error)"))
                continue
            }
            let f = features(ClipFeatures.batch([clip]))  // [1, T'·L, D]
            clips.append(f.reshaped([slices, f.shape[1] / slices, f.shape[2]]))
        }
        for text in SkippedVideoReport.lines(skipped, of: entries.count, recordedIn: matrixFile.path) { print(text) }
        guard !clips.isEmpty else {
            throw EvaluateError.emptyFeatures(what: "similarity (every video of \(manifest.path) failed to decode, listed above)")
        }
        var matrix = try SimilarityMatrix(clips: clips)
        matrix.skippedVideos = skipped
        let name = title ?? "\(subject.rawValue) features: frame-by-frame cosine similarity"
        let image = try HeatMap(title: name, xLabel: "time slice", yLabel: "time slice", values: matrix.values, range: 0...1).render()
        try PNG.write(image, to: imageFile)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(matrix).write(to: matrixFile, options: .atomic)
        print(
            String(
                format: "%@: %d videos, mean off-diagonal similarity %.3f; wrote %@ and %@", subject.rawValue, matrix.clipCount,
                matrix.meanOffDiagonal ?? 1, imageFile.path, matrixFile.path))
    }

    /// The model config and a function from clips [1, 3, T, S, S] to per-token features [1, T'·L, D].
    private func featureFunction() throws -> (ModelConfig, (Tensor) -> Tensor) {
        switch subject {
        case .image, .video:
            let (_, config) = try model.resolve(defaultArch: "vit_base", positionTable: subject == .image ? .sincos2D : .sinusoid1D)
            let (teacher, _) = try FrozenTeacher.load(
                subject == .image ? .image : .video, checkpoint: try subjectFile(),
                config: config, frameStride: config.tubeletSize)
            return (config, teacher.features)
        case .student:
            let student = try RunDirectory(try subjectFile()).loadStudent()
            let none = [Bool](repeating: false, count: student.tokens)
            return (student.config, { student.encode(clips: $0, mask: none, applyFinalNorm: false) })
        }
    }
}
