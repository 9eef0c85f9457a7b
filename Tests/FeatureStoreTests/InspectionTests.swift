import Benchmarks
import FeatureStore
import Foundation
import TestSupport
import Testing

@Suite("inspection, verification and the h5dump view")
struct InspectionTests {
    @Test("h5dump -H lists every path and attribute of docs/cache-format.md with the contract's types")
    func h5dumpLayout() throws {
        let h5dump = try #require(tool("h5dump"), "install hdf5-tools (pipelines/setup.sh) for h5dump")
        let url = try TestCache.temporaryFile("h5dump")
        let teachers = [TestCache.teacher("image"), TestCache.teacher("video", dtype: .float32)]
        let writer = try FeatureStoreWriter(at: url, request: TestCache.request(teachers, pixels: true))
        try TestCache.fill(writer, teachers, pixels: true)
        try writer.close()
        let (status, _) = try runProcess(h5dump, ["-H", "-p", "-o", "/dev/null", url.path])
        #expect(status == 0)
        let text = try captureOutput(h5dump, ["-H", "-p", url.path])
        let found = dumpPaths(text)
        var wanted = [
            "/videos/path", "/videos/label", "/videos/status", "/videos/error", "/clips/video", "/clips/frames",
            "/clips/crop", "/pixels"
        ]
        wanted += [
            "format", "format_version", "manifest_sha256", "num_frames", "sampling_rate", "tubelet_size",
            "input_size", "patch_size", "views_per_video", "seed", "created_by"
        ].map { "/@\($0)" }
        for name in ["image", "video"] {
            wanted += ["/teachers/\(name)/features", "/teachers/\(name)/done"]
            wanted += [
                "kind", "arch", "embed_dim", "depth", "num_heads", "patch_size", "input_size", "frame_stride",
                "checkpoint_sha256", "checkpoint_name", "output", "dtype"
            ].map { "/teachers/\(name)@\($0)" }
        }
        let missing = wanted.filter { !found.contains($0) }
        #expect(missing.isEmpty, "h5dump lacks \(missing)")
        #expect(text.contains("16-bit little-endian floating-point"))
        #expect(text.contains("CHUNKED ( 1, 8, 6 )") && text.contains("CHUNKED ( 1, 4, 4, 4, 3 )"))
        #expect(text.contains("STRSIZE H5T_VARIABLE") && text.contains("CSET H5T_CSET_UTF8"))
        #expect(text.contains("DATASPACE  SIMPLE { ( 10, 8, 6 ) / ( 10, 8, 6 ) }"))
    }

    @Test("the summary counts videos and rows, names failures and says whether the cache is complete")
    func summary() throws {
        let url = try TestCache.temporaryFile("summary")
        let teacher = TestCache.teacher()
        let writer = try FeatureStoreWriter(at: url, request: TestCache.request([teacher]))
        try TestCache.fill(writer, [teacher], videos: [0, 2])
        try writer.close()
        let partial = try FeatureStoreInspection.summary(of: url)
        #expect((partial.videosOK, partial.videosFailed, partial.videosPending) == (1, 1, 3))
        #expect(partial.teachers.first?.rowsDone == 2 && partial.teachers.first?.rowsExpected == 8 && !partial.isComplete)
        #expect(partial.description.contains("failed: clips/video 2 ü.mp4: no such file"))
        #expect(partial.description.contains("INCOMPLETE") && partial.bytesOnDisk > 0)
        let verification = try FeatureStoreInspection.verify(url)
        #expect(verification.completeTeachers.isEmpty)
        #expect(throws: FeatureStoreError.self) { try verification.requireTeacher("video", tokens: 8, width: 6) }

        let resumed = try FeatureStoreWriter(at: url, request: TestCache.request([teacher]))
        try TestCache.fill(resumed, [teacher])
        try resumed.close()
        let done = try FeatureStoreInspection.summary(of: url)
        #expect(done.isComplete && done.videosOK == 4 && done.teachers.first?.rowsDone == 8)
        #expect(done.description.contains("teacher video: video vit_test, L 8 x D 6, float16, computed in fp32, checkpoint video.pth sha256 c0ffee"))
        let verified = try FeatureStoreInspection.verify(url)
        #expect(verified.completeTeachers == ["video"])
        try verified.requireTeacher("video", tokens: 8, width: 6)
        let grid = #expect(throws: FeatureStoreError.self) { try verified.requireTeacher("video", tokens: 8, width: 768) }
        #expect(grid?.message.contains("[L 8, D 6]") == true)
    }

    @Test("the benchmark entry measures a tiny shape and reports bytes per row")
    func benchmarkRuns() throws {
        let folder = try Fixtures.temporaryDirectory("bench")
        let results = try FeatureStoreBenchmark.run(directory: folder, rows: 3, shapes: [(8, 6)], commitEvery: 2)
        #expect(results.count == 1)
        #expect(results[0].cacheBytesPerRow >= 96 && results[0].cacheWriteMBps > 0 && results[0].plainReadMBps > 0)
    }
}

/// Paths in `h5dump -H` output: "/group/dataset" for objects and "/object@attribute" for attributes.
func dumpPaths(_ text: String) -> Set<String> {
    var stack: [String] = [], found: Set<String> = []
    for line in text.split(separator: "\n") {
        let trimmed = line.drop { $0 == " " }
        let depth = (line.count - trimmed.count) / 3
        for kind in ["GROUP", "DATASET", "ATTRIBUTE"] where trimmed.hasPrefix("\(kind) \"") {
            let name = trimmed.split(separator: "\"")[1]
            let parentDepth = depth - 1
            stack = Array(stack.prefix(max(parentDepth, 0)))
            let parent = stack.isEmpty ? "" : "/" + stack.filter { $0 != "/" }.joined(separator: "/")
            if kind == "ATTRIBUTE" {
                found.insert((parent.isEmpty ? "/" : parent) + "@" + name)
            } else {
                let path = name == "/" ? "/" : parent + "/" + name
                found.insert(path)
                stack.append(String(name))
            }
        }
    }
    return found
}

func captureOutput(_ executable: URL, _ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    let output = Pipe()
    process.standardOutput = output
    try ChildProcess.run(process)
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: data, as: UTF8.self)
}
