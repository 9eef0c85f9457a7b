import FeatureStore
import Foundation
import TestSupport
import Testing

/// The h5py example of docs/cache-format.md ("Example: one row with h5py"), step by step through our reader, so
/// that the page's recipe is checked against real caches: if the format changes under it, these tests fail.
@Suite("the documented h5py example reads our caches")
struct DocumentedExampleTests {
    /// What the example returns for one row (before it decodes the video).
    struct ExampleRow {
        var targets: [Float]
        var frames: [Int]
        var crop: (x: Int, y: Int, width: Int, height: Int)
        var inputSize: Int
        var path: String
        var storedPixels: [UInt8]?
    }

    /// The example's `read_row` up to the decode, one statement per line of the Python; nil where the example
    /// raises "row r holds no targets yet".
    static func readRow(_ url: URL, _ r: Int, teacher: String) throws -> ExampleRow? {
        let f = try FeatureStoreReader(at: url)  // refuses any format other than "mvd-feature-cache" version 1
        defer { f.close() }
        let v = try f.rowVideos()[r] - f.videoOffset  // /clips/video is global; video_offset is 0 unless a shard
        guard try f.videoStatuses()[v] == .ok, try f.doneFlags(teacher: teacher)[r] else { return nil }
        let spec = try f.teacher(teacher)
        var targets = [Float](repeating: .nan, count: spec.tokenCount * spec.embedDim)
        try f.read(row: r, teacher: teacher, into: &targets)
        let view = try f.view(row: r)
        var stored: [UInt8]? = nil
        if f.hasPixels {
            var pixels = [UInt8](repeating: 0, count: view.frames.count * f.attributes.inputSize * f.attributes.inputSize * 3)
            try f.readPixels(row: r, into: &pixels)
            stored = pixels
        }
        return ExampleRow(
            targets: targets, frames: view.frames, crop: view.crop, inputSize: f.attributes.inputSize,
            path: try f.videos()[v].path, storedPixels: stored)
    }

    /// What the writer was given for global row `row`, as the file stores it (float16-rounded).
    static func expectWritten(_ got: ExampleRow, row: Int, teacher: TeacherSpec) {
        #expect(got.targets == TestCache.features(row, teacher).map { Float(Float16($0)) }, "targets of row \(row)")
        #expect(got.frames == TestCache.view(row).frames && got.crop == TestCache.view(row).crop, "view of row \(row)")
        #expect(got.path == TestCache.videos[row / 2].path, "video of row \(row)")
        #expect(got.inputSize == 4)
        #expect(got.storedPixels == TestCache.pixels(row), "pixels of row \(row)")
    }

    @Test("a whole cache: every done row's targets, view, video and pixels; rows of a failed video refused")
    func wholeCache() throws {
        let url = try TestCache.temporaryFile("documented-whole")
        let teacher = TestCache.teacher("video")
        let writer = try FeatureStoreWriter(at: url, request: TestCache.request([teacher], pixels: true))
        try TestCache.fill(writer, [teacher], pixels: true)
        try writer.close()

        for row in 0..<10 {
            let got = try Self.readRow(url, row, teacher: "video")
            if row / 2 == 2 {  // video 2 failed: status 2, rows not done
                #expect(got == nil, "row \(row) of the failed video")
            } else if let got {
                Self.expectWritten(got, row: row, teacher: teacher)
            } else {
                Issue.record("row \(row) of an ok video was refused")
            }
        }
    }

    @Test("a shard file: /clips/video minus video_offset finds the row's video")
    func shardFile() throws {
        let url = try TestCache.temporaryFile("documented-shard")
        let teacher = TestCache.teacher("video")
        var request = TestCache.request([teacher], pixels: true)
        request.shard = try Shard(index: 1, count: 2)  // videos 2, 3, 4 of 5; video 2 fails
        let writer = try FeatureStoreWriter(at: url, request: request)
        try TestCache.fill(writer, [teacher], pixels: true)
        try writer.close()

        #expect(try Self.readRow(url, 0, teacher: "video") == nil)  // global row 4, video 2
        for local in 2..<6 {
            let got = try #require(try Self.readRow(url, local, teacher: "video"), "local row \(local)")
            Self.expectWritten(got, row: local + 4, teacher: teacher)
        }
    }

    @Test("a teacher added later: videos are ok but its rows are refused until its own flags are set")
    func teacherAddedLater() throws {
        let url = try TestCache.temporaryFile("documented-added")
        let video = TestCache.teacher("video"), image = TestCache.teacher("image")
        let first = try FeatureStoreWriter(at: url, request: TestCache.request([video], pixels: true))
        try TestCache.fill(first, [video], pixels: true)
        try first.close()
        try FeatureStoreWriter(at: url, request: TestCache.request([video, image], pixels: true)).close()

        #expect(try FeatureStoreReader(at: url).videoStatuses()[0] == .ok)
        #expect(try Self.readRow(url, 0, teacher: "image") == nil)
        let got = try #require(try Self.readRow(url, 0, teacher: "video"))
        Self.expectWritten(got, row: 0, teacher: video)
    }
}

extension DocumentedExampleTests.ExampleRow: Equatable {
    static func == (a: Self, b: Self) -> Bool {
        a.targets == b.targets && a.frames == b.frames && a.crop == b.crop && a.inputSize == b.inputSize
            && a.path == b.path && a.storedPixels == b.storedPixels
    }
}
