import ArgumentParser
import FeatureStore
import Foundation
import TestSupport
import Testing
import VideoIO

/// Small inputs for the command tests: a student config, a feature cache with two teachers, manifests.
enum CommandFixtures {
    /// A 32-wide student on 4 frames of 32²: 2 time slices of 16 tokens.
    static let studentConfig =
        #"{"embed_dim": 32, "depth": 1, "num_heads": 2, "patch_size": 8, "input_size": 32, "num_frames": 4, "tubelet_size": 2, "mlp_ratio": 4.0}"#

    static func write(_ text: String, to url: URL) throws -> URL {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    /// A cache of two videos with the teachers "image" and "video" (16 wide), no rows written: enough for flag checks.
    static func cache(in dir: URL) throws -> URL {
        let url = dir.appendingPathComponent("feats.h5")
        let teachers = ["image", "video"].map { name in
            TeacherSpec(
                name: name, kind: name == "image" ? .image : .video, arch: "fixture", embedDim: 16, depth: 1, numHeads: 2,
                patchSize: 8, inputSize: 32, frameStride: name == "image" ? 2 : 1, checkpointSHA256: "c0ffee",
                checkpointName: "\(name).pth", tokenCount: 32)
        }
        try twoVideoWriter(at: url, teachers: teachers).close()
        return url
    }

    /// A new cache of two videos (a.mp4, label 0; b.mp4, label 1) with clips of 4 frames of 32² in tubelets of 2 and
    /// patches of 8, one view each: the command tests' student geometry.
    static func twoVideoWriter(at url: URL, teachers: [TeacherSpec], storePixels: Bool = false) throws -> FeatureStoreWriter {
        let attributes = CacheAttributes(
            manifestSHA256: String(repeating: "ab", count: 32), numFrames: 4, samplingRate: 2,
            tubeletSize: 2, inputSize: 32, patchSize: 8, viewsPerVideo: 1, seed: 0, createdBy: "MVDCommandsTests")
        let videos = [VideoEntry(path: "a.mp4", label: 0), VideoEntry(path: "b.mp4", label: 1)]
        return try FeatureStoreWriter(
            at: url, request: .init(attributes: attributes, videos: videos, teachers: teachers, storePixels: storePixels))
    }

    /// Solid-grey 8-frame videos of 48×40 named by `shades` (name → grey level) in `dir`, and `broken` files that
    /// are no video at all: the inputs of the skipped-video tests.
    static func videos(in dir: URL, _ shades: [(String, UInt8)], broken: [String]) throws {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for (name, shade) in shades {
            var clip = Clip(frameCount: 8, height: 40, width: 48)
            for p in clip.pixels.indices { clip.pixels[p] = shade }
            try VideoEncoder.write(clip, to: dir.appendingPathComponent(name).path, options: EncodeOptions(codec: .ffv1))
        }
        for name in broken { _ = try write("not a video", to: dir.appendingPathComponent(name)) }
    }

    /// The message a command line shows for `error` (what a user reads).
    static func message<C: ParsableCommand>(_ command: C.Type, _ arguments: [String]) -> String? {
        do {
            _ = try C.parse(arguments)
            return nil
        } catch {
            return C.message(for: error)
        }
    }

    /// Runs a built executable; returns its exit status and standard error. Standard output goes to `stdout` when
    /// given (a file, so that a long output cannot fill a pipe nobody reads while standard error is drained).
    static func run(_ product: String, _ arguments: [String], stdout: URL? = nil) throws -> (status: Int32, stderr: String) {
        let p = Process()
        p.executableURL = try #require(Fixtures.builtProduct(product), "build the products first (swift build --build-tests)")
        p.arguments = arguments
        let errors = Pipe()
        if let stdout {
            _ = FileManager.default.createFile(atPath: stdout.path, contents: nil)
            p.standardOutput = try FileHandle(forWritingTo: stdout)
        } else {
            p.standardOutput = FileHandle.nullDevice
        }
        p.standardError = errors
        try ChildProcess.run(p)
        let data = errors.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
