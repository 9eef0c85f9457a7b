import Checkpoint
import Foundation
import TestSupport
import Testing

@testable import VideoIO

@Suite("tiny lossless fixture clip")
struct VideoIOFixtureTests {
    let fixture: StateDict
    let expectedFrames: [UInt8]

    init() throws {
        FFmpegLog.setLevel(.quiet)
        fixture = try SafeTensors.read(Fixtures.url("tiny_clip_io.safetensors"))
        let frames = try fixture.tensor("frames_rgb24")
        #expect(frames.dtype == .uint8)
        expectedFrames = [UInt8](frames.bytes)
    }

    @Test("the fixture's frame tensor has the shape the manifest states")
    func fixtureShape() throws {
        #expect(try fixture.shape(of: "frames_rgb24") == [16, 32, 32, 3])
        #expect(expectedFrames.count == 16 * 32 * 32 * 3)
    }

    @Test("tiny_clip.mkv reports 16 frames of 32x32 at 8 fps")
    func info() throws {
        let reader = try VideoReader(path: Fixtures.url("tiny_clip.mkv").path)
        #expect(reader.info.frameCount == 16)
        #expect(reader.info.width == 32 && reader.info.height == 32)
        #expect(reader.info.frameRate == 8)
        #expect(reader.info.codecName == "png")
    }

    @Test("every frame of tiny_clip.mkv decodes to the fixture's exact bytes", arguments: [1, 2])
    func frameExact(threads: Int) throws {
        let reader = try VideoReader(path: Fixtures.url("tiny_clip.mkv").path, options: DecodeOptions(threads: threads))
        let clip = try reader.frames(at: Array(0..<16))
        #expect(clip.frameCount == 16 && clip.height == 32 && clip.width == 32)
        #expect(clip.pixels == expectedFrames)
    }

    @Test("random-order and repeated indices return the same bytes as a sequential decode")
    func randomOrder() throws {
        let reader = try VideoReader(path: Fixtures.url("tiny_clip.mkv").path)
        let indices = [15, 3, 3, 0, 9, 14, 1, 15]
        let clip = try reader.frames(at: indices)
        for (t, index) in indices.enumerated() {
            #expect(Array(clip.frame(t)) == Array(expectedFrames[(index * 3072)..<((index + 1) * 3072)]), "frame \(index)")
        }
    }

    @Test("normalising the decoded clip matches input/clip within 1e-6")
    func normalisation() throws {
        let reader = try VideoReader(path: Fixtures.url("tiny_clip.mkv").path)
        let view = ClipViews.center(frameCount: 16, width: 32, height: 32, numFrames: 16, samplingRate: 1, inputSize: 32)
        #expect(view.frames == Array(0..<16))
        let values = try reader.clip(for: view).normalizedChannelsFirst()
        let expected = try fixture.floats("input/clip")
        let report = closeness(values, expected, atol: 1e-6, rtol: 0, label: "input/clip")
        #expect(report.ok, "\(report)")
    }
}
