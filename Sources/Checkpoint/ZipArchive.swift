import Foundation

/// A read-only view of a zip archive held in memory (usually a mapped file), enough for PyTorch checkpoints:
/// the central directory (zip64 included), stored entries, CRC checks on demand.
struct ZipArchive {
    struct Entry {
        let name: String
        let method: Int
        let crc32: UInt32
        let compressedSize: Int
        let size: Int
        let localHeaderOffset: Int
    }

    let data: Data
    let path: String
    let entries: [Entry]
    private let index: [String: Int]

    init(data: Data, path: String) throws {
        self.data = data
        self.path = path
        let directory = try ZipArchive.locateCentralDirectory(data, path: path)
        var parsed: [Entry] = []
        var cursor = directory.offset
        for _ in 0..<directory.count {
            let (entry, next) = try ZipArchive.parseCentralRecord(data, at: cursor, path: path)
            parsed.append(entry)
            cursor = next
        }
        entries = parsed
        var names: [String: Int] = [:]
        for (position, entry) in parsed.enumerated() where names[entry.name] == nil { names[entry.name] = position }
        index = names
    }

    func entry(named name: String) -> Entry? { index[name].map { entries[$0] } }

    /// The bytes of a stored entry (a slice of `data`, no copy); `verify` also checks its CRC-32.
    func contents(of entry: Entry, verify: Bool = false) throws -> Data {
        guard entry.method == 0 else {
            throw WeightLoadError.unsupportedCompression(path: path, entry: entry.name, method: entry.method)
        }
        let header = entry.localHeaderOffset
        guard data.littleEndian(at: header, width: 4) == 0x0403_4B50,
            let nameLength = data.littleEndian(at: header + 26, width: 2),
            let extraLength = data.littleEndian(at: header + 28, width: 2)
        else {
            throw WeightLoadError.invalidArchive(path: path, detail: "no local header for '\(entry.name)' at offset \(header)")
        }
        let start = header + 30 + Int(nameLength) + Int(extraLength)
        guard entry.size <= data.count - start else {
            throw WeightLoadError.truncated(path: path, detail: "entry '\(entry.name)' needs \(entry.size) bytes at offset \(start)")
        }
        let bytes = data[(data.startIndex + start)..<(data.startIndex + start + entry.size)]
        if verify, CRC32.checksum(bytes) != entry.crc32 {
            throw WeightLoadError.checksumMismatch(path: path, entry: entry.name)
        }
        return bytes
    }

    /// Finds the end-of-central-directory record (and its zip64 form) and returns where the directory starts.
    private static func locateCentralDirectory(_ data: Data, path: String) throws -> (offset: Int, count: Int) {
        let lowest = max(0, data.count - 22 - 0xFFFF)
        var position = data.count - 22
        while position >= lowest, data.littleEndian(at: position, width: 4) != 0x0605_4B50 { position -= 1 }
        guard position >= lowest,
            let count16 = data.littleEndian(at: position + 10, width: 2),
            let offset32 = data.littleEndian(at: position + 16, width: 4)
        else {
            throw WeightLoadError.truncated(
                path: path, detail: "no zip end-of-central-directory record in the last bytes of the file")
        }
        var count = Int(count16), offset = Int(offset32)
        if count16 == 0xFFFF || offset32 == 0xFFFF_FFFF {
            guard data.littleEndian(at: position - 20, width: 4) == 0x0706_4B50,
                let record = data.littleEndian(at: position - 12, width: 8).map(Int.init(clamping:)),
                data.littleEndian(at: record, width: 4) == 0x0606_4B50,
                let count64 = data.littleEndian(at: record + 32, width: 8),
                let offset64 = data.littleEndian(at: record + 48, width: 8)
            else {
                throw WeightLoadError.invalidArchive(path: path, detail: "zip64 end-of-central-directory record is missing")
            }
            count = Int(clamping: count64)
            offset = Int(clamping: offset64)
        }
        guard offset <= data.count, count <= (data.count - offset) / 46 else {
            throw WeightLoadError.truncated(path: path, detail: "central directory of \(count) entries at \(offset) lies past the end")
        }
        return (offset, count)
    }

    /// Parses one central-directory record at `offset`; returns the entry and the offset of the next record.
    private static func parseCentralRecord(_ data: Data, at offset: Int, path: String) throws -> (Entry, Int) {
        func field(_ at: Int, _ width: Int) throws -> UInt64 {
            guard let value = data.littleEndian(at: offset + at, width: width) else {
                throw WeightLoadError.truncated(path: path, detail: "central directory record at \(offset) is cut short")
            }
            return value
        }
        guard try field(0, 4) == 0x0201_4B50 else {
            throw WeightLoadError.invalidArchive(path: path, detail: "bad central directory signature at offset \(offset)")
        }
        let nameLength = Int(try field(28, 2)), extraLength = Int(try field(30, 2)), commentLength = Int(try field(32, 2))
        let nameStart = offset + 46
        guard nameStart + nameLength + extraLength <= data.count else {
            throw WeightLoadError.truncated(path: path, detail: "central directory record at \(offset) is cut short")
        }
        let nameBytes = data[(data.startIndex + nameStart)..<(data.startIndex + nameStart + nameLength)]
        var sizes = [try field(24, 4), try field(20, 4), try field(42, 4)]  // size, compressed size, local offset
        let extra = data[(data.startIndex + nameStart + nameLength)..<(data.startIndex + nameStart + nameLength + extraLength)]
        applyZip64(Data(extra), to: &sizes)
        let entry = Entry(
            name: String(decoding: nameBytes, as: UTF8.self), method: Int(try field(10, 2)),
            crc32: UInt32(try field(16, 4)), compressedSize: Int(clamping: sizes[1]),
            size: Int(clamping: sizes[0]), localHeaderOffset: Int(clamping: sizes[2]))
        return (entry, nameStart + nameLength + extraLength + commentLength)
    }

    /// Replaces 0xFFFFFFFF placeholders in (size, compressed size, local offset) by the zip64 extra field values.
    private static func applyZip64(_ extra: Data, to sizes: inout [UInt64]) {
        var cursor = 0
        while let id = extra.littleEndian(at: cursor, width: 2), let length = extra.littleEndian(at: cursor + 2, width: 2) {
            if id == 0x0001 {
                var field = cursor + 4
                for slot in 0..<3 where sizes[slot] == 0xFFFF_FFFF {
                    guard field + 8 <= cursor + 4 + Int(length), let value = extra.littleEndian(at: field, width: 8) else { break }
                    sizes[slot] = value
                    field += 8
                }
            }
            cursor += 4 + Int(length)
        }
    }
}
