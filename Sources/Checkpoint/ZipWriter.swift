import Foundation

/// Writes a zip archive of stored (uncompressed) entries to a file handle, with each entry's data aligned
/// to a multiple of `alignment` bytes (padding goes into the local header's extra field, as PyTorch does).
struct ZipWriter {
    private struct Record {
        let name: [UInt8]
        let crc32: UInt32
        let size: UInt32
        let offset: UInt32
    }

    private let handle: FileHandle
    private let path: String
    private let alignment: Int
    private var offset = 0
    private var records: [Record] = []

    init(handle: FileHandle, path: String, alignment: Int = 64) {
        self.handle = handle
        self.path = path
        self.alignment = alignment
    }

    /// Appends one stored entry.
    mutating func add(_ name: String, _ contents: Data) throws {
        let nameBytes = Array(name.utf8)
        guard offset + contents.count + 30 + nameBytes.count + alignment < Int(UInt32.max), nameBytes.count < 0xFFFF else {
            throw WeightLoadError.writeFailed(path: path, reason: "archive would exceed 4 GiB; write safetensors instead")
        }
        let crc = CRC32.checksum(contents)
        let unpadded = offset + 30 + nameBytes.count + 4
        let padding = (alignment - unpadded % alignment) % alignment
        var header = Data()
        header.appendLittleEndian(UInt32(0x0403_4B50), UInt16(20), UInt16(0), UInt16(0), UInt16(0), UInt16(0x21))
        header.appendLittleEndian(crc, UInt32(contents.count), UInt32(contents.count))
        header.appendLittleEndian(UInt16(nameBytes.count), UInt16(4 + padding))
        header.append(contentsOf: nameBytes)
        header.appendLittleEndian(UInt16(0x4246), UInt16(padding))  // extra field id "FB", then padding bytes
        header.append(Data(repeating: 0x5A, count: padding))
        try handle.write(contentsOf: header)
        try handle.write(contentsOf: contents)
        records.append(Record(name: nameBytes, crc32: crc, size: UInt32(contents.count), offset: UInt32(offset)))
        offset += header.count + contents.count
    }

    /// Writes the central directory and the end record; call once, after the last `add`.
    mutating func finish() throws {
        var directory = Data()
        for record in records {
            directory.appendLittleEndian(UInt32(0x0201_4B50), UInt16(20), UInt16(20), UInt16(0), UInt16(0))
            directory.appendLittleEndian(UInt16(0), UInt16(0x21), record.crc32, record.size, record.size)
            directory.appendLittleEndian(UInt16(record.name.count), UInt16(0), UInt16(0), UInt16(0), UInt16(0))
            directory.appendLittleEndian(UInt32(0), record.offset)
            directory.append(contentsOf: record.name)
        }
        guard records.count < 0xFFFF, offset + directory.count < Int(UInt32.max) else {
            throw WeightLoadError.writeFailed(path: path, reason: "archive has too many entries or exceeds 4 GiB; write safetensors instead")
        }
        var end = Data()
        end.appendLittleEndian(UInt32(0x0605_4B50), UInt16(0), UInt16(0), UInt16(records.count), UInt16(records.count))
        end.appendLittleEndian(UInt32(directory.count), UInt32(offset), UInt16(0))
        try handle.write(contentsOf: directory)
        try handle.write(contentsOf: end)
        offset += directory.count + end.count
    }
}

extension Data {
    /// Appends each integer in little-endian byte order.
    mutating func appendLittleEndian<each T: FixedWidthInteger>(_ values: repeat each T) {
        repeat appendOne(each values)
    }

    private mutating func appendOne<T: FixedWidthInteger>(_ value: T) {
        var little = value.littleEndian
        Swift.withUnsafeBytes(of: &little) { append(contentsOf: $0) }
    }
}
