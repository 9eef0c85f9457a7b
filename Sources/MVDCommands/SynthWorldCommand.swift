import ArgumentParser
import Foundation
import VideoIO

/// `mvd synth-world`: a two-task synthetic world (shape and direction of travel as separate labelled tasks over the
/// same videos, plus an unlabeled pre-training pool), in the layout `pipelines/experiment.sh --data` reads.
public struct SynthWorldCommand: ParsableCommand {
    public init() {}
    public static let configuration = CommandConfiguration(
        commandName: "synth-world",
        abstract: "Write a two-task synthetic world: unlabeled.csv, appearance/{train,val}.csv, motion/{train,val}.csv.",
        discussion: """
            Every video shows one object with a shape (disk, square, triangle, ring: the appearance task) travelling \
            right, left, up or down (the motion task) over a static, smooth, grainy background. Colour, size, \
            position, orientation, speed, background and noise are drawn independently of both labels. The labelled \
            videos cross shapes and motions evenly; appearance/*.csv and motion/*.csv list the same videos with the \
            two labels. Paths are relative to --out: pass it as --data-root. See docs/experiment/README.md.
            """)

    @Option(help: "Output directory.", transform: URL.init(fileURLWithPath:))
    var out: URL
    @Option(help: "Videos in the unlabeled pre-training pool.")
    var unlabeled: Int = 3000
    @Option(help: "Labelled training videos per (shape, motion) pair: 16 pairs, so 16 × this per task.")
    var trainPerPair: Int = 16
    @Option(help: "Labelled validation videos per (shape, motion) pair.")
    var valPerPair: Int = 32
    @Option(help: "Frame side in pixels (even).")
    var size: Int = 32
    @Option(help: "Frames per video.")
    var frames: Int = 16
    @Option(help: "Seed; the same seed writes the same videos.")
    var seed: UInt64 = 0
    @Flag(help: "Write into an --out that already holds a world (its files are replaced).")
    var overwrite = false

    public func validate() throws {
        guard (0...1_000_000).contains(unlabeled) else { throw ValidationError("--unlabeled must be in 0...1000000, not \(unlabeled)") }
        guard (1...10_000).contains(trainPerPair), (1...10_000).contains(valPerPair) else {
            throw ValidationError("--train-per-pair and --val-per-pair must be in 1...10000")
        }
        guard (8...1024).contains(size), size % 2 == 0 else { throw ValidationError("--size must be even and in 8...1024, not \(size)") }
        guard (2...10_000).contains(frames) else { throw ValidationError("--frames must be in 2...10000, not \(frames)") }
        try FlagChecks.refuseExisting([out.appendingPathComponent(TwoTaskWorld.configFile)], overwrite: overwrite)
    }

    public func run() throws {
        FFmpegLog.setLevel(.error)
        let config = TwoTaskWorldConfig(
            unlabeled: unlabeled, trainPerPair: trainPerPair, valPerPair: valPerPair,
            size: size, frames: frames, seed: seed)
        let directory = out
        print(
            "synth-world: \(unlabeled) unlabeled, \(trainPerPair * 16) train + \(valPerPair * 16) val labelled videos, "
                + "\(size)x\(size), \(frames) frames, seed \(seed) -> \(directory.path)")
        let start = Date()
        let line = ProgressLine(plainInterval: 10)
        try TwoTaskWorld.write(config, to: directory) { done, total in
            let elapsed = Date().timeIntervalSince(start)
            line.update("synth-world \(done)/\(total), ETA \(formatDuration(elapsed / Double(done) * Double(total - done)))")
        }
        line.finish()
        print(String(format: "synth-world: done in %.1f s", Date().timeIntervalSince(start)))
    }
}
