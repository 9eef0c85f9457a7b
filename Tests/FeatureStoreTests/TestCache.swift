import FeatureStore
import Foundation
import TestSupport
import Testing

/// A small deterministic extraction used by the in-process tests.
enum TestCache {
    static func attributes(manifest: String = "0f" + String(repeating: "e", count: 62), frames: Int = 4) -> CacheAttributes {
        CacheAttributes(
            manifestSHA256: manifest, numFrames: frames, samplingRate: 4, tubeletSize: 2, inputSize: 4,
            patchSize: 2, viewsPerVideo: 2, seed: 1, createdBy: "FeatureStoreTests")
    }

    static func teacher(
        _ name: String = "video", dtype: FeatureDType = .float16, checkpoint: String = "c0ffee",
        tokens: Int = 8, width: Int = 6, precision: String = "fp32"
    ) -> TeacherSpec {
        TeacherSpec(
            name: name, kind: name == "image" ? .image : .video, arch: "vit_test", embedDim: width, depth: 2,
            numHeads: 2, patchSize: 2, inputSize: 4, frameStride: name == "image" ? 2 : 1,
            checkpointSHA256: checkpoint, checkpointName: "\(name).pth", tokenCount: tokens, dtype: dtype,
            precision: precision)
    }

    static let videos = (0..<5).map { VideoEntry(path: "clips/video \($0) ü.mp4", label: 10 + $0) }

    static func request(
        _ teachers: [TeacherSpec], attributes: CacheAttributes = attributes(),
        pixels: Bool = false
    ) -> FeatureStoreWriter.Request {
        .init(attributes: attributes, videos: videos, teachers: teachers, storePixels: pixels)
    }

    static func view(_ row: Int) -> RowView {
        RowView(frames: [row, row + 4, row + 8, row + 12], crop: (row, 2 * row, 100 + row, 80))
    }

    static func features(_ row: Int, _ teacher: TeacherSpec) -> [Float] {
        var random = TestRandom(seed: UInt64(row * 131 + teacher.embedDim))
        return random.array(teacher.rowElements, scale: 3)
    }

    static func pixels(_ row: Int) -> [UInt8] { (0..<(4 * 4 * 4 * 3)).map { UInt8(truncatingIfNeeded: $0 * 7 + row) } }

    /// Writes `videos` through the public API; video 2 fails.
    static func fill(
        _ writer: FeatureStoreWriter, _ teachers: [TeacherSpec], videos: [Int]? = nil,
        pixels: Bool = false
    ) throws {
        for video in videos ?? writer.remainingVideos() {
            if video == 2 {
                try writer.failVideo(video, reason: "no such file: clips/video 2 ü.mp4")
                continue
            }
            for row in writer.rows(ofVideo: video) {
                try writer.writeView(
                    row: row, try writer.storedView(row: row) ?? view(row),
                    pixels: pixels ? TestCache.pixels(row) : nil)
                for t in teachers where !writer.isDone(row: row, teacher: t.name) {
                    try writer.writeFeatures(row: row, teacher: t.name, features(row, t))
                }
            }
            try writer.finishVideo(video)
        }
    }

    static func temporaryFile(_ tag: String) throws -> URL {
        try Fixtures.temporaryDirectory("featurestore-\(tag)").appendingPathComponent("feats.h5")
    }
}

/// Dataset-by-dataset comparison of two caches through the public reader (every row, every teacher).
func expectSameCache(_ a: URL, _ b: URL, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let x = try FeatureStoreReader(at: a), y = try FeatureStoreReader(at: b)
    #expect(x.attributes == y.attributes, sourceLocation: sourceLocation)
    #expect(x.teachers == y.teachers, sourceLocation: sourceLocation)
    #expect(try x.videos() == y.videos(), sourceLocation: sourceLocation)
    #expect(try x.videoStatuses() == y.videoStatuses(), sourceLocation: sourceLocation)
    #expect(try x.videoErrors() == y.videoErrors(), sourceLocation: sourceLocation)
    #expect(try x.rowVideos() == y.rowVideos(), sourceLocation: sourceLocation)
    #expect(x.hasPixels == y.hasPixels && x.rowCount == y.rowCount, sourceLocation: sourceLocation)
    for row in 0..<min(x.rowCount, y.rowCount) {
        #expect(try x.view(row: row) == y.view(row: row), "view of row \(row)", sourceLocation: sourceLocation)
        if x.hasPixels && y.hasPixels {
            var p = [UInt8](repeating: 0, count: 4 * 4 * 4 * 3), q = p
            try x.readPixels(row: row, into: &p)
            try y.readPixels(row: row, into: &q)
            #expect(p == q, "pixels of row \(row)", sourceLocation: sourceLocation)
        }
    }
    for t in x.teachers {
        #expect(
            try x.doneFlags(teacher: t.name) == y.doneFlags(teacher: t.name), "done of \(t.name)",
            sourceLocation: sourceLocation)
        #expect(
            try x.statistics(teacher: t.name) == y.statistics(teacher: t.name), "statistics of \(t.name)",
            sourceLocation: sourceLocation)
        var p = [Float](repeating: 0, count: t.rowElements), q = p
        for row in 0..<min(x.rowCount, y.rowCount) {
            try x.read(row: row, teacher: t.name, into: &p)
            try y.read(row: row, teacher: t.name, into: &q)
            #expect(p == q, "features of \(t.name) row \(row)", sourceLocation: sourceLocation)
        }
    }
}

/// Runs an executable and returns (exit status or -signal, stderr).
@discardableResult
func runProcess(_ executable: URL, _ arguments: [String], killAfter: Double? = nil) throws -> (Int32, String) {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    let errors = Pipe()
    process.standardError = errors
    process.standardOutput = FileHandle.nullDevice
    try ChildProcess.run(process)
    if let delay = killAfter {
        Thread.sleep(forTimeInterval: delay)
        kill(process.processIdentifier, SIGKILL)
    }
    let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    let status = process.terminationReason == .uncaughtSignal ? -process.terminationStatus : process.terminationStatus
    return (status, text)
}

/// A tool built next to the test bundle (`featurestore-crash-writer`), or a system tool on PATH (`h5dump`).
func tool(_ name: String) -> URL? { Fixtures.builtProduct(name) }

/// The crash-test writer (`featurestore-crash-writer`), built beside the test bundle.
func crashWriter(sourceLocation: SourceLocation = #_sourceLocation) throws -> URL {
    try #require(tool("featurestore-crash-writer"), "build the featurestore-crash-writer target first", sourceLocation: sourceLocation)
}

/// Two caches equal by both oracles: every dataset through the reader, and `h5diff` where it is installed.
func expectIdenticalCaches(_ a: URL, _ b: URL, sourceLocation: SourceLocation = #_sourceLocation) throws {
    try expectSameCache(a, b, sourceLocation: sourceLocation)
    try expectH5DiffEqual(a, b, sourceLocation: sourceLocation)
}
