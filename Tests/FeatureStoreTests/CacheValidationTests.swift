import CHDF5
import Foundation
import TestSupport
import Testing

@testable import FeatureStore

/// A cache whose attributes, shapes, types or stored references disagree is refused when it is opened (or when the
/// row is read), with a message naming both sides, instead of overrunning a buffer or training on misaligned rows.
@Suite("damaged caches are refused", .serialized)
struct CacheValidationTests {
    /// The message of the FeatureStoreError `body` throws (fails the test when it throws nothing or another error).
    static func refusal(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> String {
        do {
            try body()
            Issue.record("expected a FeatureStoreError", sourceLocation: sourceLocation)
        } catch let error as FeatureStoreError {
            return error.message
        } catch {
            Issue.record("expected a FeatureStoreError, got \(error)", sourceLocation: sourceLocation)
        }
        return ""
    }

    @Test(
        "an embed_dim attribute that disagrees with the stored rows is refused on open, naming both",
        arguments: [3, 7])
    func embedDim(_ claimed: Int) throws {
        let url = try CacheSurgery.finished("embed-\(claimed)")
        try CacheSurgery.setInt(url, "/teachers/image", "embed_dim", claimed)
        let message = Self.refusal { _ = try FeatureStoreReader(at: url) }
        #expect(message.contains("/teachers/image/features has shape [10, 8, 6]"), "\(message)")
        #expect(message.contains("embed_dim \(claimed)"), "\(message)")
    }

    @Test("a dtype attribute that disagrees with the stored values is refused on open")
    func dtype() throws {
        let url = try CacheSurgery.finished("dtype")
        try CacheSurgery.setString(url, "/teachers/image", "dtype", "float32")
        let message = Self.refusal { _ = try FeatureStoreReader(at: url) }
        #expect(message.contains("stores 16-bit float values but its dtype attribute says float32"), "\(message)")
    }

    @Test(
        "absurd root and teacher attributes are refused on open",
        arguments: [
            ("/", "num_frames", 0, "num_frames is 0"), ("/", "patch_size", -2, "patch_size is -2"),
            ("/", "patch_size", 3, "input_size 4 is not a multiple of patch_size 3"),
            ("/", "tubelet_size", 3, "num_frames 4 is not a multiple of tubelet_size 3"),
            ("/", "views_per_video", 0, "views_per_video is 0"),
            ("/", "views_per_video", Int.max, "/clips has 10 rows"),
            ("/", "num_frames", 2, "/clips/frames has shape [10, 4]"),
            ("/teachers/image", "num_heads", -1, "num_heads is -1"),
            ("/teachers/image", "input_size", 5, "input_size 5 is not a multiple of its patch_size 2")
        ])
    func absurdAttributes(_ path: String, _ name: String, _ value: Int, _ expected: String) throws {
        let url = try CacheSurgery.finished("attr-\(name)-\(value)")
        try CacheSurgery.setInt(url, path, name, value)
        let message = Self.refusal { _ = try FeatureStoreReader(at: url) }
        #expect(message.contains(expected), "\(message)")
    }

    @Test("an attribute holding an array instead of one value is refused, not read past its end")
    func arrayAttribute() throws {
        let url = try CacheSurgery.finished("attr-array")
        try CacheSurgery.edit(url, "/") { root in
            try root.removeAttribute("num_frames")
            try root.setAttribute("num_frames", [4, 4, 4, 4])
        }
        let message = Self.refusal { _ = try FeatureStoreReader(at: url) }
        #expect(message.contains("attribute num_frames of / holds 4 values, not one"), "\(message)")
    }

    @Test(
        "every dataset's shape and type is checked against the attributes on open",
        arguments: [
            ("/videos", "label", swh5_T_STD_I64LE(), [6], "/videos/label has shape [6]"),
            ("/videos", "path", swh5_T_STD_I64LE(), [5], "/videos/path stores 64-bit integer values, expected variable-length string"),
            ("/videos", "error", swh5_T_STD_I64LE(), [5], "/videos/error stores 64-bit integer values"),
            ("/clips", "frames", swh5_T_STD_I32LE(), [10, 3], "/clips/frames has shape [10, 3]"),
            ("/clips", "crop", swh5_T_IEEE_F32LE(), [10, 4], "/clips/crop stores 32-bit float values"),
            ("/clips", "video", swh5_T_STD_I64LE(), [10, 1], "/clips/video has shape [10, 1]"),
            ("/teachers/image", "done", swh5_T_STD_U8LE(), [11], "/teachers/image/done has shape [11]"),
            ("/teachers/image", "features", swh5_T_IEEE_F32LE(), [10, 8], "features of shape [10, 8]"),
            ("/", "pixels", swh5_T_STD_U8LE(), [10, 4, 4, 4], "/pixels has shape [10, 4, 4, 4]"),
            ("/", "pixels", swh5_T_STD_I32LE(), [10, 4, 4, 4, 3], "/pixels stores 32-bit integer, expected 8-bit")
        ] as [(String, String, hid_t, [Int], String)])
    func datasetShapes(_ path: String, _ name: String, _ type: hid_t, _ dims: [Int], _ expected: String) throws {
        let url = try CacheSurgery.finished("shape-\(name)-\(dims.count)-\(dims.first ?? 0)", pixels: name == "pixels")
        try CacheSurgery.replaceDataset(url, path, name, type: type, dims: dims)
        let message = Self.refusal { _ = try FeatureStoreReader(at: url) }
        #expect(message.contains(expected), "\(message)")
    }

    @Test(
        "a /clips/video entry that names another video, or none, is refused on open with its row",
        arguments: [Int64(99), -1, 0])
    func rowVideo(_ video: Int64) throws {
        let url = try CacheSurgery.finished("row-video-\(video)")
        try CacheSurgery.writeRow(url, "/clips", "video", row: 3, [video])
        let message = Self.refusal { _ = try FeatureStoreReader(at: url) }
        #expect(message.contains("row 3: /clips/video is \(video) but the row belongs to video 1"), "\(message)")
    }

    @Test(
        "a negative frame index or an empty, negative crop box of a decoded row is refused when read",
        arguments: [
            ("frames", [Int64(0), 4, -8, 12], "row 1: /clips/frames holds frame index -8"),
            ("crop", [Int64(1), 2, 0, 80], "row 1: /clips/crop is x 1, y 2, width 0, height 80"),
            ("crop", [Int64(-1), 2, 101, 80], "row 1: /clips/crop is x -1"),
            ("crop", [Int64(1), 2, 101, -80], "height -80")
        ])
    func rowView(_ name: String, _ values: [Int64], _ expected: String) throws {
        let url = try CacheSurgery.finished("row-view-\(name)-\(values.map(String.init).joined(separator: "_"))")
        try CacheSurgery.writeRow(url, "/clips", name, row: 1, values)
        let reader = try FeatureStoreReader(at: url)
        #expect(Self.refusal { _ = try reader.view(row: 1) }.contains(expected))
        #expect(try reader.view(row: 0) == TestCache.view(0), "the other rows still read")
    }

    @Test("rows of a failed video hold no view yet and read as the zeros they are")
    func failedVideoRow() throws {
        let url = try CacheSurgery.finished("row-failed")
        let view = try FeatureStoreReader(at: url).view(row: 4)  // video 2 failed
        #expect(view.frames == [0, 0, 0, 0] && view.crop == (0, 0, 0, 0))
    }
}
