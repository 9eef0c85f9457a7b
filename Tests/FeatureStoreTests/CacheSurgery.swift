import CHDF5
import Foundation

@testable import FeatureStore

/// Damages a valid cache on purpose, through the package's own HDF5 wrapper: rewrites attributes, replaces
/// datasets with other shapes or types, overwrites stored values.
enum CacheSurgery {
    /// A finished cache of TestCache's 5 videos (video 2 failed), 2 rows each, with the given teachers.
    static func finished(
        _ tag: String, teachers: [TeacherSpec] = [TestCache.teacher("image")],
        pixels: Bool = false
    ) throws -> URL {
        let url = try TestCache.temporaryFile(tag)
        let writer = try FeatureStoreWriter(at: url, request: TestCache.request(teachers, pixels: pixels))
        try TestCache.fill(writer, teachers, pixels: pixels)
        try writer.close()
        return url
    }

    /// Opens `url` for writing and hands `body` the object at `path` ("/" or a group path such as
    /// "/teachers/image"); the file is closed when this returns.
    static func edit(_ url: URL, _ path: String = "/", _ body: (H5Object) throws -> Void) throws {
        let file = try H5Object.openFile(at: url, writable: true)
        var object = file
        for part in path.split(separator: "/") { object = try object.openGroup(String(part)) }
        try body(object)
        try file.flush()
    }

    /// Replaces integer attribute `name` of the object at `path` with `value`.
    static func setInt(_ url: URL, _ path: String, _ name: String, _ value: Int) throws {
        try edit(url, path) { object in
            try object.removeAttribute(name)
            try object.setAttribute(name, value)
        }
    }

    /// Replaces string attribute `name` of the object at `path` with `value`.
    static func setString(_ url: URL, _ path: String, _ name: String, _ value: String) throws {
        try edit(url, path) { object in
            try object.removeAttribute(name)
            try object.setAttribute(name, value)
        }
    }

    /// Replaces dataset `name` under `path` with a zero-filled one of file type `type` and shape `dims`.
    static func replaceDataset(_ url: URL, _ path: String, _ name: String, type: hid_t, dims: [Int]) throws {
        try edit(url, path) { group in
            try group.removeChild(name)
            _ = try group.createDataset(name, type: type, dims: dims)
        }
    }

    /// Overwrites one row of an int32 or int64 dataset (`/clips/video`, `/clips/frames`, `/clips/crop`).
    static func writeRow(_ url: URL, _ path: String, _ name: String, row: Int, _ values: [Int64]) throws {
        try edit(url, path) { group in
            let dataset = try group.openDataset(name)
            try dataset.write(rows: row..<row + 1, values)
        }
    }
}
