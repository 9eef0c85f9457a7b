import ArgumentParser
import Foundation
import VideoIO

/// `mvd synth`: writes the built-in labelled dataset (appearance and motion classes) as real encoded videos.
public struct SynthCommand: ParsableCommand {
    public init() {}
    public static let configuration = CommandConfiguration(
        commandName: "synth",
        abstract: "Write the synthetic labelled video dataset (videos, train.csv, val.csv, classes.json).")

    @Option(help: "Output directory (use it as --data-root for the manifests).", transform: URL.init(fileURLWithPath:))
    var out: URL

    @Option(help: "Training videos per class.")
    var videosPerClass: Int = 24

    @Option(help: "Validation videos per class.")
    var valVideosPerClass: Int = 8

    @Option(help: "Frame side in pixels (square frames; even for h264/mpeg4/vp9).")
    var size: Int = 64

    @Option(help: "Frames per video.")
    var frames: Int = 48

    @Option(help: "Frames per second written into the files.")
    var frameRate: Int = 25

    @Option(help: "Seed; the same seed writes the same videos.")
    var seed: UInt64 = 0

    @Option(help: "Codec: h264 (libx264, falls back to mpeg4 when missing), mpeg4, vp9, ffv1 or png.")
    var codec: String = "h264"

    @Option(help: "Multiplies every object's size (1 = objects of radius 7-12 px at 64 px).")
    var objectScale: Double = 1

    @Option(
        help:
            "Nuisance variation: full (any background colour, clutter rectangles, noise up to ±14) or low (dark grey background, no clutter, noise up to ±3)."
    )
    var nuisance: SyntheticNuisance = .full

    @Option(
        help:
            "Copies of the object in every video, moving together (more than one gives masked modelling visible copies to learn shape and motion from)."
    )
    var objects: Int = 1

    @Option(help: "Where the copies go: random, or grid (a k×k lattice of period size/k; --objects must be a square).")
    var layout: SyntheticLayout = .random

    @Flag(help: "Write into an --out that already holds a dataset, replacing its manifests and videos.")
    var overwrite = false

    public func validate() throws {
        try FlagChecks.integer("--videos-per-class", videosPerClass, in: 1...100_000)
        try FlagChecks.integer("--val-videos-per-class", valVideosPerClass, in: 0...100_000)
        try FlagChecks.integer("--size", size, in: 8...4_096)
        try FlagChecks.integer("--frames", frames, in: 1...10_000)
        try FlagChecks.integer("--frame-rate", frameRate, in: 1...1_000)
        try FlagChecks.integer("--objects", objects, in: 1...1_024)
        try FlagChecks.number("--object-scale", objectScale, in: 0...16, openBelow: true)
        guard let parsed = VideoCodec(rawValue: codec) else {
            throw ValidationError("--codec must be one of \(VideoCodec.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let k = Int(Double(objects).squareRoot().rounded())
        if layout == .grid && k * k != objects { throw ValidationError("--layout grid needs a square --objects (4, 9, 16, …), not \(objects)") }
        if !parsed.isLossless && size % 2 != 0 { throw ValidationError("--size must be even for \(codec)") }
        try FlagChecks.refuseExisting(
            [SyntheticDataset.trainManifest, SyntheticDataset.valManifest, SyntheticDataset.classesFile]
                .map { out.appendingPathComponent($0) }, overwrite: overwrite)
    }

    public func run() throws {
        FFmpegLog.setLevel(.error)
        var chosen = VideoCodec(rawValue: codec) ?? .h264
        if chosen == .h264 { chosen = VideoCodec.bestAvailableLossy }
        var config = SyntheticDatasetConfig(
            videosPerClass: videosPerClass, valVideosPerClass: valVideosPerClass, size: size,
            frames: frames, frameRate: frameRate, seed: seed, codec: chosen)
        if objectScale != 1 { config.objectScale = objectScale }
        if nuisance != .full { config.nuisance = nuisance }
        if objects != 1 { config.objects = objects }
        if layout != .random { config.layout = layout }
        let directory = out
        print(
            "synth: \(config.classes.count) classes, \(videosPerClass)+\(valVideosPerClass) videos per class, "
                + "\(size)x\(size), \(frames) frames, \(chosen.rawValue), seed \(seed) -> \(directory.path)")
        let start = Date()
        let (train, val) = try SyntheticDataset.write(config, to: directory) { step in
            if step.index == 1 || step.index % 20 == 0 || step.index == step.total {
                print("[\(step.index)/\(step.total)] \(step.path)")
            }
        }
        print(
            String(
                format: "synth: wrote %d train + %d val videos in %.1f s; manifests %@ and %@, classes %@",
                train.count, val.count, Date().timeIntervalSince(start), SyntheticDataset.trainManifest,
                SyntheticDataset.valManifest, SyntheticDataset.classesFile))
    }
}

extension SyntheticNuisance: ExpressibleByArgument {}
extension SyntheticLayout: ExpressibleByArgument {}
