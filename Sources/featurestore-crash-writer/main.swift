// Test helper for FeatureStoreTests: writes a small, fully deterministic cache through the public writer
// API the way extract-features does, and can SIGKILL itself at chosen points. The crash tests run it,
// kill it, run it again to resume, and compare the result with an uninterrupted run.
//
// usage: featurestore-crash-writer FILE [--teachers image,video] [--shard I/N]
//        [--kill-after-writes K] [--kill-at data|commit:K] [--row-delay-ms MS]
//        [--barrier FILE] [--wait-for-writer SECONDS]
//        featurestore-crash-writer FILE --hold-reader READY_FILE
// --barrier waits until FILE exists before opening the cache, so a test can start two writers at one moment.
// --hold-reader opens FILE with a reader (as distill does), creates READY_FILE, and keeps it open until killed.
@_spi(FaultInjection) import FeatureStore
import Foundation

struct Options {
    var path = ""
    var teachers = ["image", "video"]
    var shard = Shard.whole
    var killAfterWrites: Int?
    var killAt: (FeatureStoreWriter.FaultPoint, Int)?
    var rowDelayMilliseconds = 0
    var barrier: String?
    var waitForWriter: Double = 0
    var holdReader: String?
}

func parse(_ arguments: [String]) throws -> Options {
    var options = Options()
    var rest = arguments.makeIterator()
    while let argument = rest.next() {
        switch argument {
        case "--teachers": options.teachers = (rest.next() ?? "").split(separator: ",").map(String.init)
        case "--shard": options.shard = try Shard(parsing: rest.next() ?? "")
        case "--kill-after-writes": options.killAfterWrites = Int(rest.next() ?? "")
        case "--row-delay-ms": options.rowDelayMilliseconds = Int(rest.next() ?? "") ?? 0
        case "--barrier": options.barrier = rest.next()
        case "--wait-for-writer": options.waitForWriter = Double(rest.next() ?? "") ?? 0
        case "--hold-reader": options.holdReader = rest.next()
        case "--kill-at":
            let parts = (rest.next() ?? "").split(separator: ":")
            let point: FeatureStoreWriter.FaultPoint = parts.first == "data" ? .afterDataFlush : .afterCommit
            options.killAt = (point, Int(parts.last ?? "") ?? 1)
        default: options.path = argument
        }
    }
    return options
}

/// The job: 7 videos, 2 views each, video 3 fails; an image teacher stored as float16 and a video teacher
/// stored as float32; pixels stored.
enum Job {
    static let attributes = CacheAttributes(
        manifestSHA256: String(repeating: "ab", count: 32), numFrames: 4,
        samplingRate: 2, tubeletSize: 2, inputSize: 4, patchSize: 2,
        viewsPerVideo: 2, seed: 7, createdBy: "featurestore-crash-writer 1")
    static let videos = (0..<7).map { VideoEntry(path: "videos/v\($0).mp4", label: $0 % 3) }
    static let teachers = [
        TeacherSpec(
            name: "image", kind: .image, arch: "vit_tiny", embedDim: 6, depth: 2, numHeads: 2, patchSize: 2,
            inputSize: 4, frameStride: 2, checkpointSHA256: "11", checkpointName: "img.pth", tokenCount: 8),
        TeacherSpec(
            name: "video", kind: .video, arch: "vit_tiny", embedDim: 5, depth: 2, numHeads: 1, patchSize: 2,
            inputSize: 4, frameStride: 1, checkpointSHA256: "22", checkpointName: "vid.pth", tokenCount: 8,
            dtype: .float32)
    ]

    static func view(row: Int) -> RowView {
        RowView(frames: (0..<4).map { row * 3 + 2 * $0 }, crop: (row, row + 1, 10 + row, 12 + row))
    }

    static func pixels(row: Int) -> [UInt8] { (0..<(4 * 4 * 4 * 3)).map { UInt8(truncatingIfNeeded: row * 31 + $0) } }

    static func features(row: Int, teacher: TeacherSpec) -> [Float] {
        (0..<teacher.rowElements).map { Float(row) + Float($0) / 64 + (teacher.kind == .image ? 0.001 : 0.5) }
    }
}

func run(_ options: Options) throws {
    if let ready = options.holdReader {
        let reader = try FeatureStoreReader(at: URL(fileURLWithPath: options.path))
        _ = FileManager.default.createFile(atPath: ready, contents: Data())
        while true { withExtendedLifetime(reader) { sleep(1) } }
    }
    let teachers = Job.teachers.filter { options.teachers.contains($0.name) }
    let request = FeatureStoreWriter.Request(
        attributes: Job.attributes, videos: Job.videos, teachers: teachers,
        storePixels: true, shard: options.shard)
    if let barrier = options.barrier {
        while !FileManager.default.fileExists(atPath: barrier) { usleep(200) }
    }
    let wait = WriterWait(seconds: options.waitForWriter) { FileHandle.standardError.write(Data("\($0)\n".utf8)) }
    let writer = try FeatureStoreWriter(at: URL(fileURLWithPath: options.path), request: request, commitEvery: 3, wait: wait)
    var commits: [FeatureStoreWriter.FaultPoint: Int] = [:]
    writer.faultHook = { point in
        commits[point, default: 0] += 1
        if let (target, count) = options.killAt, target == point, commits[point] == count { kill(getpid(), SIGKILL) }
    }
    var writes = 0
    for video in writer.remainingVideos() {
        if video == 3 {
            try writer.failVideo(video, reason: "cannot decode videos/v3.mp4: truncated file")
            continue
        }
        for row in writer.rows(ofVideo: video) {
            try writer.writeView(row: row, try writer.storedView(row: row) ?? Job.view(row: row), pixels: Job.pixels(row: row))
            for teacher in teachers where !writer.isDone(row: row, teacher: teacher.name) {
                try writer.writeFeatures(row: row, teacher: teacher.name, Job.features(row: row, teacher: teacher))
                writes += 1
                if writes == options.killAfterWrites { kill(getpid(), SIGKILL) }
            }
            if options.rowDelayMilliseconds > 0 { usleep(UInt32(options.rowDelayMilliseconds * 1000)) }
        }
        try writer.finishVideo(video)
    }
    try writer.close()
}

do {
    try run(try parse(Array(CommandLine.arguments.dropFirst())))
} catch {
    FileHandle.standardError.write(Data("featurestore-crash-writer: \(error)\n".utf8))
    exit(1)
}
