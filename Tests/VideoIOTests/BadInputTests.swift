import Foundation
import TestSupport
import Testing
import VideoIO

@Suite("bad input gives a typed error, never a crash or a hang")
struct BadInputTests {
    let dir: URL

    init() throws {
        FFmpegLog.setLevel(.quiet)
        dir = try Fixtures.temporaryDirectory("bad-input")
    }

    /// Opens `url` and decodes every frame; returns the error thrown, if any.
    func decodeEverything(_ url: URL) -> VideoDecodeError? {
        do {
            let reader = try VideoReader(path: url.path)
            _ = try reader.frames(at: Array(0..<reader.info.frameCount))
            return nil
        } catch {
            return error
        }
    }

    func truncate(_ source: URL, to fraction: Double, as name: String) throws -> URL {
        let data = try Data(contentsOf: source)
        let url = dir.appendingPathComponent(name)
        try data.prefix(Int(Double(data.count) * fraction)).write(to: url)
        return url
    }

    @Test("a missing file is fileNotFound with ENOENT and the path")
    func missingFile() {
        let url = dir.appendingPathComponent("absent.mp4")
        let error = decodeEverything(url)
        #expect(error?.kind == .fileNotFound)
        #expect(error?.path == url.path)
        #expect(error?.ffmpegCode == -2)
        #expect(error?.ffmpegMessage == "No such file or directory")
        #expect(error?.description.contains("--data-root") == true)
    }

    @Test("a 0-byte file is emptyFile")
    func emptyFile() throws {
        let url = dir.appendingPathComponent("empty.mp4")
        try Data().write(to: url)
        #expect(decodeEverything(url)?.kind == .emptyFile)
    }

    @Test("a text file renamed .mp4 cannot be opened, with FFmpeg's code and message")
    func textFile() throws {
        let url = dir.appendingPathComponent("notes.mp4")
        try String(repeating: "this is not a video, just some words\n", count: 200).write(to: url, atomically: true, encoding: .utf8)
        let error = decodeEverything(url)
        #expect(error?.kind == .cannotOpen)
        #expect((error?.ffmpegCode ?? 0) < 0)
        #expect(error?.ffmpegMessage?.isEmpty == false)
    }

    @Test("an audio-only file is noVideoStream")
    func audioOnly() throws {
        let url = dir.appendingPathComponent("tone.mp4")
        try TestVideos.ffmpeg(["-f", "lavfi", "-i", "sine=frequency=440:duration=0.5", "-c:a", "aac", url.path])
        let error = decodeEverything(url)
        #expect(error?.kind == .noVideoStream)
        #expect(error?.ffmpegCode != nil)
    }

    @Test("an MP4 cut in half (index at the end) cannot be opened")
    func truncatedMP4() throws {
        let full = dir.appendingPathComponent("full.mp4")
        try TestVideos.testPattern(full, frames: 40, codec: TestVideos.h264ShortGOP)
        let error = decodeEverything(try truncate(full, to: 0.5, as: "half.mp4"))
        #expect(error?.kind == .cannotOpen)
        #expect(error?.ffmpegCode != nil)
    }

    @Test("a fast-start MP4 cut in half opens with the readable frames and says it is incomplete")
    func truncatedFastStartMP4() throws {
        let full = dir.appendingPathComponent("faststart.mp4")
        try TestVideos.testPattern(full, frames: 40, codec: TestVideos.h264ShortGOP + ["-movflags", "+faststart"])
        let url = try truncate(full, to: 0.5, as: "faststart_half.mp4")
        let reader = try VideoReader(path: url.path)
        #expect(reader.info.containerFrameCount == 40)
        #expect(reader.info.frameCount > 0 && reader.info.frameCount < 40)
        #expect(reader.info.isIncomplete)
        _ = try reader.frames(at: [0, 1])
        let error = #expect(throws: VideoDecodeError.self) { try reader.frames(at: [39]) }
        #expect(error?.kind == .frameIndexOutOfRange)
        let whole = decodeEverything(url)
        #expect(whole == nil || whole?.kind == .decodeFailed)
    }

    @Test("an MKV cut short decodes the frames it still holds and reports fewer frames")
    func truncatedMKV() throws {
        let full = dir.appendingPathComponent("full.mkv")
        try TestVideos.testPattern(full, frames: 40, codec: ["-c:v", "ffv1"])
        let url = try truncate(full, to: 0.5, as: "half.mkv")
        let reader = try VideoReader(path: url.path)
        #expect(reader.info.frameCount > 0 && reader.info.frameCount < 40)
        #expect(try VideoReader(path: full.path).info.isIncomplete == false)
        let error = decodeEverything(url)
        #expect(error == nil || error?.kind == .decodeFailed)
    }

    @Test("an index past the end is frameIndexOutOfRange; a short video pads by the original's rule")
    func shortVideo() throws {
        let url = dir.appendingPathComponent("short.mkv")
        try VideoEncoder.write(
            TestVideos.gradientClip(frames: 10, height: 16, width: 16), to: url.path,
            options: EncodeOptions(codec: .ffv1))
        let reader = try VideoReader(path: url.path)
        #expect(reader.info.frameCount == 10)
        #expect(throws: VideoDecodeError.self) { try reader.frames(at: [3, 10]) }
        var rng = TestVideos.SeededGenerator(seed: 1)
        let indices = TemporalSampling.pretraining(frameCount: 10, using: &rng)
        #expect(indices == [0, 4, 8] + Array(repeating: 8, count: 13))
        let clip = try reader.frames(at: indices)
        #expect(clip.frameCount == 16)
        #expect(clip.frame(15) == clip.frame(2))
    }
}
