import Foundation
import TestSupport
import Testing
import VideoIO

@Suite("encoder round trips")
struct EncoderTests {
    init() { FFmpegLog.setLevel(.quiet) }

    @Test("lossless codecs give back the exact bytes", arguments: [(VideoCodec.ffv1, "mkv"), (.png, "mkv")])
    func lossless(codec: VideoCodec, ext: String) throws {
        let dir = try Fixtures.temporaryDirectory("encode")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("clip.\(ext)")
        let clip = TestVideos.gradientClip(frames: 12, height: 24, width: 40)
        try VideoEncoder.write(clip, to: url.path, options: EncodeOptions(codec: codec, frameRate: 10))
        let reader = try VideoReader(path: url.path)
        #expect(reader.info.frameCount == 12 && reader.info.width == 40 && reader.info.height == 24)
        #expect(reader.info.frameRate == 10)
        #expect(try reader.frames(at: Array(0..<12)) == clip)
    }

    @Test(
        "lossy codecs keep count, size, rate and stay close to the input",
        arguments: [(VideoCodec.h264, "mp4"), (.mpeg4, "avi"), (.vp9, "webm")])
    func lossy(codec: VideoCodec, ext: String) throws {
        let dir = try Fixtures.temporaryDirectory("encode")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("clip.\(ext)")
        let frames = 20, size = 32
        var pixels = [UInt8](repeating: 0, count: frames * size * size * 3)
        for t in 0..<frames {  // a smooth pattern lossy codecs reproduce well
            for y in 0..<size {
                for x in 0..<size {
                    let i = ((t * size + y) * size + x) * 3
                    pixels[i] = UInt8(x * 6 + t)
                    pixels[i + 1] = UInt8(y * 6)
                    pixels[i + 2] = 128
                }
            }
        }
        let clip = Clip(frameCount: frames, height: size, width: size, pixels: pixels)
        try VideoEncoder.write(clip, to: url.path, options: EncodeOptions(codec: codec, frameRate: 25, gopSize: 6, maxBFrames: codec == .vp9 ? 0 : 2))
        let reader = try VideoReader(path: url.path)
        #expect(reader.info.frameCount == frames && reader.info.width == size && reader.info.frameRate == 25)
        let decoded = try reader.frames(at: Array(0..<frames))
        let meanError = zip(decoded.pixels, clip.pixels).reduce(0.0) { $0 + abs(Double($1.0) - Double($1.1)) } / Double(clip.pixels.count)
        #expect(meanError < 4, "mean abs error \(meanError)")
    }

    @Test("4:2:0 codecs refuse an odd frame size with encodeFailed")
    func oddSize() {
        let error = #expect(throws: VideoDecodeError.self) {
            try VideoEncoder(path: "/tmp/never-written.mp4", width: 33, height: 32, options: EncodeOptions(codec: .h264))
        }
        #expect(error?.kind == .encodeFailed)
    }
}
