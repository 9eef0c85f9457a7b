import Foundation
import Tensor
import TestSupport
import VideoIO

/// Test videos made on the fly with the `ffmpeg` CLI (installed by pipelines/setup.sh) or our encoder.
enum TestVideos {
    struct CommandFailed: Error, CustomStringConvertible {
        let description: String
    }

    /// Runs `ffmpeg -y -loglevel error ARGS`, throwing with its stderr when it fails.
    static func ffmpeg(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["ffmpeg", "-nostdin", "-y", "-loglevel", "error"] + arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try ChildProcess.run(process)
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CommandFailed(description: "ffmpeg \(arguments.joined(separator: " ")): \(String(decoding: message, as: UTF8.self))")
        }
    }

    /// A `testsrc2` clip (its content changes every frame) encoded with the given codec arguments.
    static func testPattern(_ url: URL, size: String = "128x96", rate: Int = 25, frames: Int, codec: [String]) throws {
        try ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=\(size):rate=\(rate)", "-frames:v", "\(frames)"] + codec + [url.path])
    }

    /// A `testPattern` clip named `name` in a fresh scratch folder (the caller removes the folder).
    static func scratchTestPattern(_ tag: String, name: String, frames: Int, codec: [String]) throws -> (dir: URL, url: URL) {
        let dir = try Fixtures.temporaryDirectory(tag)
        let url = dir.appendingPathComponent(name)
        try testPattern(url, frames: frames, codec: codec)
        return (dir, url)
    }

    /// H.264 with a 12-frame GOP and up to 3 B-frames.
    static let h264ShortGOP = ["-c:v", "libx264", "-preset", "veryfast", "-g", "12", "-keyint_min", "12", "-bf", "3", "-pix_fmt", "yuv420p"]

    /// A deterministic clip whose every pixel depends on (t, y, x), for lossless round trips.
    static func gradientClip(frames: Int, height: Int, width: Int) -> Clip {
        var pixels = [UInt8](repeating: 0, count: frames * height * width * 3)
        for t in 0..<frames {
            for y in 0..<height {
                for x in 0..<width {
                    let i = ((t * height + y) * width + x) * 3
                    pixels[i] = UInt8((x * 7 + t * 13) & 255)
                    pixels[i + 1] = UInt8((y * 5 + t * 3) & 255)
                    pixels[i + 2] = UInt8((x * y + t * 29) & 255)
                }
            }
        }
        return Clip(frameCount: frames, height: height, width: width, pixels: pixels)
    }

    /// A seeded generator for tests.
    typealias SeededGenerator = SplitMix64
}
