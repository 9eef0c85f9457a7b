import Foundation
import Tensor
import VideoIO

/// Decode speed of one sequential pass over a file.
public struct DecodeSpeed: Codable, Equatable, Sendable {
    public var threads: Int
    /// Whether each frame was also converted to RGB24 (swscale) inside the timed loop.
    public var convertsToRGB: Bool
    /// Frames decoded inside the timed loop (frame 0 is already decoded while opening, in `openSeconds`).
    public var frames: Int
    /// Best wall time over the repeats, seconds (opening and indexing the file excluded).
    public var seconds: Double
    /// Seconds to open and index the file (demux pass), from the best repeat.
    public var openSeconds: Double
    public var framesPerSecond: Double { seconds > 0 ? Double(frames) / seconds : 0 }
}

/// Cost of producing pre-training clips from one file, averaged over several random views.
public struct ClipCost: Codable, Equatable, Sendable {
    public var threads: Int
    public var clips: Int
    public var numFrames: Int
    public var inputSize: Int
    /// Mean seconds per clip: open + index + seek + decode of the view's frames + RGB conversion.
    public var decodeSeconds: Double
    /// Mean seconds per clip: multi-scale crop + antialiased resize to `inputSize` squared.
    public var cropResizeSeconds: Double
    public var totalSeconds: Double { decodeSeconds + cropResizeSeconds }
}

/// Reusable decode measurements (for `mvd bench-decode` and `mvd bench`).
public enum DecodeBenchmark {
    /// Decodes every frame of `path` in order with `threads` codec threads; best of `repeats` runs.
    public static func sequential(
        path: String, threads: Int, convertToRGB: Bool, repeats: Int = 2
    )
        throws(VideoDecodeError) -> DecodeSpeed
    {
        var best = DecodeSpeed(threads: threads, convertsToRGB: convertToRGB, frames: 0, seconds: .infinity, openSeconds: 0)
        let clock = ContinuousClock()
        for _ in 0..<max(repeats, 1) {
            let opened = clock.now
            let reader = try VideoReader(path: path, options: DecodeOptions(threads: threads))
            let started = clock.now
            let frames = try reader.decodeRemainingFrames(convertToRGB: convertToRGB)
            let elapsed = seconds(clock.now - started)
            if elapsed < best.seconds {
                best = DecodeSpeed(
                    threads: threads, convertsToRGB: convertToRGB, frames: frames, seconds: elapsed,
                    openSeconds: seconds(started - opened))
            }
        }
        return best
    }

    /// Produces `clips` pre-training views of `path` (16 frames at stride 4, multi-scale crop, resize to
    /// `inputSize`), each from a freshly opened reader as a feature extractor would, and returns mean costs.
    public static func clipCost(
        path: String, threads: Int, clips: Int = 10, numFrames: Int = 16, samplingRate: Int = 4,
        inputSize: Int = 224, seed: UInt64 = 0
    ) throws(VideoDecodeError) -> ClipCost {
        var rng = SplitMix64(seed: seed)
        let clock = ContinuousClock()
        var decode = 0.0, cropResize = 0.0
        for _ in 0..<max(clips, 1) {
            let started = clock.now
            let reader = try VideoReader(path: path, options: DecodeOptions(threads: threads))
            let view = ClipViews.pretraining(
                frameCount: reader.info.frameCount, width: reader.info.width,
                height: reader.info.height, numFrames: numFrames, samplingRate: samplingRate,
                crop: MultiScaleCrop(inputSize: inputSize), using: &rng)
            let frames = try reader.frames(at: view.frames)
            let decoded = clock.now
            let clip = frames.applying(view)
            precondition(clip.width == inputSize && clip.height == inputSize, "benchmark clip has the wrong size")
            decode += seconds(decoded - started)
            cropResize += seconds(clock.now - decoded)
        }
        let n = Double(max(clips, 1))
        return ClipCost(
            threads: threads, clips: max(clips, 1), numFrames: numFrames, inputSize: inputSize,
            decodeSeconds: decode / n, cropResizeSeconds: cropResize / n)
    }

    private static func seconds(_ duration: Duration) -> Double {
        let parts = duration.components
        return Double(parts.seconds) + Double(parts.attoseconds) * 1e-18
    }
}
