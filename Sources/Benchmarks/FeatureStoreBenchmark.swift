import FeatureStore
import Foundation

/// Cache write/read throughput against plain sequential file I/O of the same bytes on the same disk.
/// Called by the `featurestore-bench` executable (and later `mvd bench`); returns numbers, prints nothing.
public enum FeatureStoreBenchmark {
    /// One measured row shape.
    public struct Result: Sendable, CustomStringConvertible {
        public let tokens: Int
        public let width: Int
        public let rows: Int
        /// Bytes one float16 row adds to the cache file (file size / rows, all overhead included).
        public let cacheBytesPerRow: Double
        /// Cache writes: `[Float16]` rows in (no conversion), commits (flush + fsync) every `commitEvery` rows.
        public let cacheWriteMBps: Double
        /// Cache writes from `[Float]` rows, including the float16 rounding in Swift.
        public let cacheWriteFromFloatMBps: Double
        /// Cache reads as stored float16 (`readFloat16`), and widened to Float (`read(row:teacher:into:)`).
        public let cacheReadMBps: Double
        public let cacheReadAsFloatMBps: Double
        /// Bytes one row adds to an int8 cache of the same values (codes and per-token scales).
        public let int8CacheBytesPerRow: Double
        /// Reads of the same rows from that int8 cache, dequantised to Float (`read(row:teacher:into:)`), in MB
        /// of the float16 rows like every figure here, so that it compares directly with `cacheReadAsFloatMBps`.
        public let int8ReadAsFloatMBps: Double
        /// `FileHandle` sequential write (one fsync at the end) and read of the same bytes.
        public let plainWriteMBps: Double
        public let plainReadMBps: Double

        public var description: String {
            let f = { (x: Double) in String(format: "%8.0f", x) }
            return "[\(tokens), \(width)] x \(rows) rows, \(Int(cacheBytesPerRow)) B/row | MB/s: cache write "
                + "\(f(cacheWriteMBps)) (from Float \(f(cacheWriteFromFloatMBps))), cache read \(f(cacheReadMBps)) "
                + "(as Float \(f(cacheReadAsFloatMBps))) | int8 \(Int(int8CacheBytesPerRow)) B/row, read as Float "
                + "\(f(int8ReadAsFloatMBps)) (\(String(format: "%.2f", int8ReadAsFloatMBps / cacheReadAsFloatMBps))x "
                + "float16's) | plain write \(f(plainWriteMBps)), plain read \(f(plainReadMBps))"
        }
    }

    /// Measures each `[L, D]` shape with `rows` float16 rows in a scratch folder under `directory`.
    /// Reads run right after the writes, so they come from the page cache (as in training epochs after the first).
    public static func run(
        directory: URL, rows: Int = 64, shapes: [(tokens: Int, width: Int)] = [(1568, 768), (1568, 384)],
        commitEvery: Int = 16
    ) throws -> [Result] {
        let folder = directory.appendingPathComponent("featurestore-bench-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        return try shapes.map { try measure(folder, tokens: $0.tokens, width: $0.width, rows: rows, commitEvery: commitEvery) }
    }

    private static func measure(_ folder: URL, tokens: Int, width: Int, rows: Int, commitEvery: Int) throws -> Result {
        let n = tokens * width
        let floats = (0..<n).map { Float(($0 * 7919) % 2003) / 1000 - 1 }
        let halves = Float16Conversion.toFloat16(floats)
        let megabytes = Double(rows * n * 2) / 1e6
        let cache = folder.appendingPathComponent("cache-\(tokens)x\(width).h5")
        let second = folder.appendingPathComponent("cache-from-float-\(tokens)x\(width).h5")
        let int8 = folder.appendingPathComponent("cache-int8-\(tokens)x\(width).h5")
        defer { [cache, second, int8].forEach { try? FileManager.default.removeItem(at: $0) } }
        let write = try seconds { try writeCache(cache, tokens, width, rows, commitEvery) { try $0.writeFeatures(row: $1, teacher: "t", halves) } }
        let writeFloat = try seconds {
            try writeCache(second, tokens, width, rows, commitEvery) { try $0.writeFeatures(row: $1, teacher: "t", floats) }
        }
        try writeCache(int8, tokens, width, rows, commitEvery, dtype: .int8) { try $0.writeFeatures(row: $1, teacher: "t", floats) }
        let size = { (url: URL) -> Int in ((try? FileManager.default.attributesOfItem(atPath: url.path))?[.size] as? Int) ?? 0 }
        let fileBytes = size(cache)
        let reader = try FeatureStoreReader(at: cache)
        var half = [Float16](repeating: 0, count: n), wide = [Float](repeating: 0, count: n)
        let read = try seconds { for r in 0..<rows { try reader.readFloat16(row: r, teacher: "t", into: &half) } }
        let readWide = try seconds { for r in 0..<rows { try reader.read(row: r, teacher: "t", into: &wide) } }
        let int8Reader = try FeatureStoreReader(at: int8)
        let readInt8 = try seconds { for r in 0..<rows { try int8Reader.read(row: r, teacher: "t", into: &wide) } }
        let (plainWrite, plainRead) = try plainIO(folder.appendingPathComponent("plain-\(tokens)x\(width).bin"), halves, rows)
        return Result(
            tokens: tokens, width: width, rows: rows, cacheBytesPerRow: Double(fileBytes) / Double(rows),
            cacheWriteMBps: megabytes / write, cacheWriteFromFloatMBps: megabytes / writeFloat,
            cacheReadMBps: megabytes / read, cacheReadAsFloatMBps: megabytes / readWide,
            int8CacheBytesPerRow: Double(size(int8)) / Double(rows), int8ReadAsFloatMBps: megabytes / readInt8,
            plainWriteMBps: megabytes / plainWrite, plainReadMBps: megabytes / plainRead)
    }

    /// Creates a one-teacher cache of `rows` single-view videos and fills every row with `fill`.
    private static func writeCache(
        _ url: URL, _ tokens: Int, _ width: Int, _ rows: Int, _ commitEvery: Int,
        dtype: FeatureDType = .float16, _ fill: (FeatureStoreWriter, Int) throws -> Void
    ) throws {
        let attributes = CacheAttributes(
            manifestSHA256: "bench", numFrames: 16, samplingRate: 4, tubeletSize: 2,
            inputSize: 224, patchSize: 16, viewsPerVideo: 1, seed: 0,
            createdBy: "featurestore-bench")
        let teacher = TeacherSpec(
            name: "t", kind: .video, arch: "bench", embedDim: width, depth: 1, numHeads: 1,
            patchSize: 16, inputSize: 224, frameStride: 1, checkpointSHA256: "-",
            checkpointName: "-", tokenCount: tokens, dtype: dtype)
        let videos = (0..<rows).map { VideoEntry(path: "v\($0).mp4", label: 0) }
        let writer = try FeatureStoreWriter(
            at: url,
            request: .init(
                attributes: attributes, videos: videos,
                teachers: [teacher]), commitEvery: commitEvery)
        let view = RowView(frames: Array(0..<16), crop: (0, 0, 224, 224))
        for row in 0..<rows {
            try writer.writeView(row: row, view)
            try fill(writer, row)
            try writer.finishVideo(row)
        }
        try writer.close()
    }

    private static func plainIO(_ url: URL, _ row: [Float16], _ rows: Int) throws -> (Double, Double) {
        let bytes = row.withUnsafeBytes { Data($0) }
        _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        let write = try seconds {
            let handle = try FileHandle(forWritingTo: url)
            for _ in 0..<rows { try handle.write(contentsOf: bytes) }
            try handle.synchronize()
            try handle.close()
        }
        let read = try seconds {
            let handle = try FileHandle(forReadingFrom: url)
            for _ in 0..<rows { _ = try handle.read(upToCount: bytes.count) }
            try handle.close()
        }
        return (write, read)
    }

    private static func seconds(_ body: () throws -> Void) throws -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }
}
