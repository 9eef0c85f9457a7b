import ArgumentParser
import Benchmarks
import Foundation
import Models
import VideoIO

/// `mvd bench-decode`: decode frames/s and the cost of one pre-training clip, for one file.
public struct BenchDecodeCommand: ParsableCommand {
    public init() {}
    public static let configuration = CommandConfiguration(
        commandName: "bench-decode",
        abstract: "Measure decode frames/s (per codec thread count) and the cost of one 16-frame training clip.")

    @Option(help: "Video file to measure.", transform: URL.init(fileURLWithPath:))
    var file: URL

    @Option(parsing: .upToNextOption, help: "Codec thread counts to measure.")
    var threads: [Int] = [1, 2]

    @Option(help: "Timed passes per setting; the best is reported.")
    var repeats: Int = 3

    @Option(help: "Training clips to average for the clip cost.")
    var clips: Int = 20

    @Option(help: "Clip side after crop and resize.")
    var inputSize: Int = 224

    public func validate() throws {
        guard !threads.isEmpty, threads.allSatisfy({ (0...FlagChecks.maxThreads).contains($0) }) else {
            throw ValidationError("--threads needs counts from 0 (FFmpeg's choice) to \(FlagChecks.maxThreads), got \(threads)")
        }
        try FlagChecks.integer("--repeats", repeats, in: 1...1_000)
        try FlagChecks.integer("--clips", clips, in: 1...100_000)
        try FlagChecks.integer("--input-size", inputSize, in: 1...ModelConfig.limits.inputSize)
    }

    public func run() throws {
        FFmpegLog.setLevel(.error)
        let info = try VideoReader(path: file.path).info
        print("file \(file.path): \(info.codecName) \(info.width)x\(info.height), \(info.frameCount) frames, \(info.frameRate) fps")
        for count in threads {
            for rgb in [false, true] {
                let speed = try DecodeBenchmark.sequential(path: file.path, threads: count, convertToRGB: rgb, repeats: repeats)
                print(
                    String(
                        format: "decode threads=%d %@: %d frames in %.3f s = %.0f frames/s (open+index %.1f ms)",
                        count, rgb ? "+rgb24" : "      ", speed.frames, speed.seconds, speed.framesPerSecond,
                        speed.openSeconds * 1000))
            }
        }
        for count in threads {
            let cost = try DecodeBenchmark.clipCost(path: file.path, threads: count, clips: clips, inputSize: inputSize)
            print(
                String(
                    format: "clip threads=%d: 16x%d^2 clip in %.1f ms (decode %.1f ms + crop/resize %.1f ms), mean of %d",
                    count, inputSize, cost.totalSeconds * 1000, cost.decodeSeconds * 1000,
                    cost.cropResizeSeconds * 1000, cost.clips))
        }
    }
}
