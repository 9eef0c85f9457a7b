import Foundation
import TestSupport
import Testing

@testable import Plot

@Suite("PNG encoding")
struct PNGTests {
    /// A small image whose every byte differs from its neighbours (no long runs), plus a flat band.
    static func sampleImage(width: Int = 37, height: Int = 23, format: PixelFormat = .rgb8) throws -> Image {
        var pixels: [UInt8] = []
        for y in 0..<height {
            for x in 0..<width {
                let flat = y >= height / 2
                pixels += flat ? [10, 200, 30] : [UInt8((x * 7 + y * 13) & 255), UInt8((x * x + y) & 255), UInt8((x ^ y) & 255)]
                if format == .rgba8 { pixels.append(UInt8((x + 3 * y) & 255)) }
            }
        }
        return try Image(width: width, height: height, format: format, pixels: pixels)
    }

    @Test("CRC-32 gives the published check value, whole and in pieces")
    func crcCheckValue() {
        // The CRC-32 check value of "123456789" is 0xCBF43926.
        let text = Array("123456789".utf8)
        #expect(Zlib.crc32(text) == 0xCBF4_3926)
        #expect(Zlib.crc32(Array(text[5...]), previous: Zlib.crc32(Array(text[..<5]))) == 0xCBF4_3926)
        #expect(Zlib.crc32(text) == crc32Reference(text))
    }

    @Test(
        "signature, chunk order and CRCs, IHDR fields and pixels inflated by zlib are exact",
        arguments: [PixelFormat.rgb8, .rgba8])
    func roundTrip(format: PixelFormat) throws {
        let image = try Self.sampleImage(format: format)
        let png = try PNGReader(PNG.encode(image))
        #expect(png.chunks.map(\.type) == ["IHDR", "IDAT", "IEND"])
        #expect(png.chunks.allSatisfy { $0.crcMatches })
        #expect(png.width == 37 && png.height == 23)
        #expect(Array(png.chunks[0].data[8...]) == [8, format == .rgb8 ? 2 : 6, 0, 0, 0])
        #expect(try png.pixels() == image.pixels)
    }

    @Test("zlib streams inflate to random, repetitive and empty inputs, and flat data shrinks")
    func zlibRoundTrip() throws {
        var rng = TestRandom(seed: 9)
        let random = (0..<150_000).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        let runs = [UInt8](repeating: 42, count: 70_000) + Array("abcabcabcd".utf8) + [UInt8](repeating: 0, count: 1000)
        for data in [random, runs, [], [1], [1, 2], Array("aaaa".utf8)] {
            #expect(try inflateZlib(Zlib.compress(data), expectedCount: data.count) == data)
        }
        #expect(Zlib.compress(runs).count < runs.count / 50)
        // A stream holding more bytes than expected is refused, so the reader checks the length as well as the bytes.
        #expect(throws: PNGReader.Failure.self) { try inflateZlib(Zlib.compress([1, 2]), expectedCount: 1) }
    }

    @Test("write replaces the destination atomically, leaves no temporary file, and matches encode")
    func atomicWrite() throws {
        let dir = try Fixtures.temporaryDirectory("png")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("image.png")
        try Data("old".utf8).write(to: url)
        let image = try Self.sampleImage()
        try PNG.write(image, to: url)
        #expect(try Array(Data(contentsOf: url)) == PNG.encode(image))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["image.png"])
        let missing = dir.appendingPathComponent("no-such-dir/x.png")
        #expect(throws: PlotError.self) { try PNG.write(image, to: missing) }
    }

    @Test("images reject bad sizes and pixel buffers of the wrong length")
    func imageValidation() {
        #expect(throws: PlotError.invalidImageSize(width: 0, height: 5)) { try Image(width: 0, height: 5) }
        #expect(throws: PlotError.pixelCountMismatch(expected: 12, actual: 11)) {
            try Image(width: 2, height: 2, format: .rgb8, pixels: [UInt8](repeating: 0, count: 11))
        }
    }
}
