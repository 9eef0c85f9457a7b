import FeatureStore
import Foundation
import TestSupport
import Testing

@Suite("feature cache round trip")
struct RoundTripTests {
    /// Values where rounding to float16 carries into the exponent; HDF5 1.10.8's own conversion gets
    /// 7.9997673 -> 4.0 and 1.9995582 -> 1.0, Swift's Float16 gives 8.0 and 2.0.
    static let carryCases: [Float] = [7.9997673, 1.9995582, -7.9997673, 65519, 0.1, -3.3333333, 1e-7, 0]

    @Test("float16 and float32 rows come back exactly, including exponent-carry values", arguments: [FeatureDType.float16, .float32])
    func roundTrip(dtype: FeatureDType) throws {
        let url = try TestCache.temporaryFile("roundtrip")
        let teacher = TestCache.teacher(dtype: dtype)
        let writer = try FeatureStoreWriter(at: url, request: TestCache.request([teacher], pixels: true))
        var special = TestCache.features(0, teacher)
        special.replaceSubrange(0..<Self.carryCases.count, with: Self.carryCases)
        try writer.writeView(row: 0, TestCache.view(0), pixels: TestCache.pixels(0))
        try writer.writeFeatures(row: 0, teacher: teacher.name, special)
        try writer.commit()
        try TestCache.fill(writer, [teacher], pixels: true)
        try writer.close()

        let reader = try FeatureStoreReader(at: url, expecting: TestCache.attributes())
        #expect(reader.teachers == [teacher])
        #expect(reader.rowCount == 10 && reader.videoCount == 5 && reader.hasPixels)
        var row = [Float](repeating: .nan, count: teacher.rowElements)
        try reader.read(row: 0, teacher: teacher.name, into: &row)
        let expected = dtype == .float16 ? special.map { Float(Float16($0)) } : special
        #expect(row == expected)
        #expect(Array(row.prefix(2)) == (dtype == .float16 ? [8.0, 2.0] : [7.9997673, 1.9995582]))
        var half = [Float16](repeating: 0, count: teacher.rowElements)
        try reader.readFloat16(row: 0, teacher: teacher.name, into: &half)
        #expect(half == special.map { Float16($0) })
        for r in 1..<reader.rowCount where r / 2 != 2 {
            try reader.read(row: r, teacher: teacher.name, into: &row)
            let want = TestCache.features(r, teacher)
            #expect(row == (dtype == .float16 ? want.map { Float(Float16($0)) } : want), "row \(r)")
        }
    }

    @Test("row metadata, videos, pixels and teacher attributes read back as written")
    func metadata() throws {
        let url = try TestCache.temporaryFile("metadata")
        let teachers = [TestCache.teacher("image"), TestCache.teacher("video", dtype: .float32, width: 4)]
        let writer = try FeatureStoreWriter(at: url, request: TestCache.request(teachers, pixels: true))
        try TestCache.fill(writer, teachers, pixels: true)
        try writer.close()

        let reader = try FeatureStoreReader(at: url)
        #expect(reader.attributes == TestCache.attributes())
        #expect(reader.teachers.map(\.name) == ["image", "video"])
        #expect(try reader.teacher("video") == teachers[1])
        #expect(try reader.videos() == TestCache.videos)
        #expect(try reader.videoStatuses() == [.ok, .ok, .failed, .ok, .ok])
        #expect(try reader.videoErrors() == ["", "", "no such file: clips/video 2 ü.mp4", "", ""])
        #expect(try reader.rowVideos() == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4])
        #expect(try reader.view(row: 7) == TestCache.view(7))
        #expect(try reader.doneFlags(teacher: "image") == [true, true, true, true, false, false, true, true, true, true])
        var pixels = [UInt8](repeating: 0, count: 4 * 4 * 4 * 3)
        try reader.readPixels(row: 9, into: &pixels)
        #expect(pixels == TestCache.pixels(9))
        var wrong = [Float](repeating: 0, count: 3)
        #expect(throws: FeatureStoreError.self) { try reader.read(row: 0, teacher: "image", into: &wrong) }
        let unknown = #expect(throws: FeatureStoreError.self) { try reader.teacher("audio") }
        #expect(unknown?.code == .unknownTeacher && unknown?.message.contains("image, video") == true)
    }

    @Test("a committed row is never rewritten, and features need a view first")
    func writerGuards() throws {
        let url = try TestCache.temporaryFile("guards")
        let teacher = TestCache.teacher()
        let writer = try FeatureStoreWriter(at: url, request: TestCache.request([teacher]))
        let noView = #expect(throws: FeatureStoreError.self) {
            try writer.writeFeatures(row: 0, teacher: "video", TestCache.features(0, teacher))
        }
        #expect(noView?.message.contains("writeView") == true)
        try writer.writeView(row: 0, TestCache.view(0))
        try writer.writeFeatures(row: 0, teacher: "video", TestCache.features(0, teacher))
        try writer.commit()
        #expect(writer.isDone(row: 0, teacher: "video"))
        let again = #expect(throws: FeatureStoreError.self) {
            try writer.writeFeatures(row: 0, teacher: "video", TestCache.features(0, teacher))
        }
        #expect(again?.message.contains("already committed") == true)
        #expect(throws: FeatureStoreError.self) { try writer.writeView(row: 0, TestCache.view(1)) }
        #expect(throws: FeatureStoreError.self) { try writer.finishVideo(1) }
    }
}
