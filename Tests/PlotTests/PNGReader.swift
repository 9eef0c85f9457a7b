import CZlib

@testable import Plot

/// An independent reader for the PNGs under test: splits chunks, checks CRCs with a bitwise reference, inflates the
/// IDAT data with zlib's own inflate (any deflate block type, Adler-32 checked) and removes the filter bytes.
struct PNGReader {
    struct Chunk {
        let type: String
        let data: [UInt8]
        let crcMatches: Bool
    }

    enum Failure: Error { case badSignature, truncated, unsupported(String), checksum(String) }

    let chunks: [Chunk]

    init(_ bytes: [UInt8]) throws {
        guard bytes.count >= 8, Array(bytes[0..<8]) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] else {
            throw Failure.badSignature
        }
        var chunks: [Chunk] = [], p = 8
        while p < bytes.count {
            guard p + 12 <= bytes.count else { throw Failure.truncated }
            let length = Int(PNGReader.bigEndian(bytes, p))
            guard p + 12 + length <= bytes.count else { throw Failure.truncated }
            let typeAndData = Array(bytes[(p + 4)..<(p + 8 + length)])
            let stored = PNGReader.bigEndian(bytes, p + 8 + length)
            chunks.append(
                Chunk(
                    type: String(decoding: typeAndData[0..<4], as: UTF8.self),
                    data: Array(typeAndData[4...]), crcMatches: crc32Reference(typeAndData) == stored))
            p += 12 + length
        }
        self.chunks = chunks
    }

    static func bigEndian(_ b: [UInt8], _ p: Int) -> UInt32 {
        UInt32(b[p]) << 24 | UInt32(b[p + 1]) << 16 | UInt32(b[p + 2]) << 8 | UInt32(b[p + 3])
    }

    var width: Int { Int(PNGReader.bigEndian(chunks[0].data, 0)) }
    var height: Int { Int(PNGReader.bigEndian(chunks[0].data, 4)) }
    var colorType: UInt8 { chunks[0].data[9] }

    /// The pixel bytes: IDAT data inflated, one filter byte (which must be 0) dropped per row.
    func pixels() throws -> [UInt8] {
        let rowBytes = width * (colorType == 6 ? 4 : 3)
        let raw = try inflateZlib(chunks.filter { $0.type == "IDAT" }.flatMap(\.data), expectedCount: height * (rowBytes + 1))
        var out: [UInt8] = []
        for y in 0..<height {
            guard raw[y * (rowBytes + 1)] == 0 else { throw Failure.unsupported("filter \(raw[y * (rowBytes + 1)])") }
            out += raw[(y * (rowBytes + 1) + 1)..<((y + 1) * (rowBytes + 1))]
        }
        return out
    }
}

/// Bitwise CRC-32 (no table), independent of the library's table-driven one.
func crc32Reference(_ bytes: [UInt8]) -> UInt32 {
    var c: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
        c ^= UInt32(byte)
        for _ in 0..<8 { c = (c & 1) != 0 ? (c >> 1) ^ 0xEDB8_8320 : c >> 1 }
    }
    return c ^ 0xFFFF_FFFF
}

/// zlib's `uncompress`: the stream must hold exactly `expectedCount` bytes (more is Z_BUF_ERROR, fewer a short count)
/// and end in a matching Adler-32 (otherwise Z_DATA_ERROR).
func inflateZlib(_ stream: [UInt8], expectedCount: Int) throws -> [UInt8] {
    var out = [UInt8](repeating: 0, count: max(expectedCount, 1))
    var length = uLongf(expectedCount)
    let status = out.withUnsafeMutableBufferPointer { destination in
        stream.withUnsafeBufferPointer { uncompress(destination.baseAddress, &length, $0.baseAddress, uLong($0.count)) }
    }
    guard status == Z_OK else { throw PNGReader.Failure.checksum("zlib uncompress status \(status)") }
    guard Int(length) == expectedCount else { throw PNGReader.Failure.truncated }
    return Array(out[0..<expectedCount])
}
