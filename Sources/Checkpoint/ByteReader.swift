import Foundation

/// A bounds-checked little-endian cursor over a byte array. Every read either succeeds or throws
/// `WeightLoadError.truncated`, so malformed input can never read out of bounds.
struct ByteReader {
    let bytes: [UInt8]
    let path: String
    /// What is being read, for error messages (e.g. "data.pkl").
    let what: String
    private(set) var position: Int = 0

    init(_ bytes: [UInt8], path: String, what: String) {
        self.bytes = bytes
        self.path = path
        self.what = what
    }

    var isAtEnd: Bool { position >= bytes.count }

    private mutating func take(_ count: Int) throws -> Range<Int> {
        guard count >= 0, count <= bytes.count - position else {
            throw WeightLoadError.truncated(
                path: path, detail: "\(what) needs \(count) bytes at offset \(position) but has \(bytes.count - position) left")
        }
        defer { position += count }
        return position..<(position + count)
    }

    mutating func u8() throws -> UInt8 { bytes[try take(1).lowerBound] }

    /// Reads an unsigned little-endian integer of `width` bytes (at most 8).
    mutating func unsigned(_ width: Int) throws -> UInt64 {
        let range = try take(width)
        var value: UInt64 = 0
        for (shift, index) in range.enumerated() { value |= UInt64(bytes[index]) << (8 * UInt64(shift)) }
        return value
    }

    mutating func u16() throws -> UInt16 { UInt16(try unsigned(2)) }
    mutating func u32() throws -> UInt32 { UInt32(try unsigned(4)) }
    mutating func u64() throws -> UInt64 { try unsigned(8) }
    mutating func i32() throws -> Int32 { Int32(bitPattern: try u32()) }

    mutating func slice(_ count: Int) throws -> ArraySlice<UInt8> { bytes[try take(count)] }

    /// Reads up to (not including) the next newline, consuming the newline.
    mutating func line() throws -> String {
        guard let end = bytes[position...].firstIndex(of: 0x0A) else {
            throw WeightLoadError.truncated(path: path, detail: "\(what) has no end of line after offset \(position)")
        }
        let text = String(decoding: bytes[position..<end], as: UTF8.self)
        position = end + 1
        return text
    }
}

/// Little-endian readers over a `Data` region, used for zip structures inside mapped files.
extension Data {
    /// The unsigned little-endian integer of `width` bytes at `offset` (relative to `startIndex`), or nil when out of range.
    func littleEndian(at offset: Int, width: Int) -> UInt64? {
        guard offset >= 0, width >= 0, offset <= count - width else { return nil }
        var value: UInt64 = 0
        let base = startIndex + offset
        for i in 0..<width { value |= UInt64(self[base + i]) << (8 * UInt64(i)) }
        return value
    }
}
