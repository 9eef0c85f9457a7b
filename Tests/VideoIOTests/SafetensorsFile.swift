import Foundation

/// A minimal safetensors reader for the fixture files (8-byte little-endian header length n, n bytes of
/// JSON `{name: {dtype, shape, data_offsets}}`, then the raw little-endian data).
struct SafetensorsFile {
    struct Entry {
        let dtype: String
        let shape: [Int]
        let range: Range<Int>
    }

    let entries: [String: Entry]
    private let data: Data
    private let dataStart: Int

    init(url: URL) throws {
        data = try Data(contentsOf: url)
        let headerLength = data.prefix(8).enumerated().reduce(0) { $0 | (Int($1.element) << (8 * $1.offset)) }
        let header = try JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + headerLength))) as? [String: Any] ?? [:]
        dataStart = 8 + headerLength
        var entries: [String: Entry] = [:]
        for (name, value) in header where name != "__metadata__" {
            guard let info = value as? [String: Any], let dtype = info["dtype"] as? String,
                  let shape = info["shape"] as? [Int], let offsets = info["data_offsets"] as? [Int] else { continue }
            entries[name] = Entry(dtype: dtype, shape: shape, range: offsets[0]..<offsets[1])
        }
        self.entries = entries
    }

    func bytes(_ name: String) -> [UInt8]? {
        guard let entry = entries[name] else { return nil }
        return [UInt8](data.subdata(in: (dataStart + entry.range.lowerBound)..<(dataStart + entry.range.upperBound)))
    }

    func floats(_ name: String) -> [Float]? {
        guard let raw = bytes(name), entries[name]?.dtype == "F32" else { return nil }
        return stride(from: 0, to: raw.count, by: 4).map { i in
            Float(bitPattern: UInt32(raw[i]) | UInt32(raw[i + 1]) << 8 | UInt32(raw[i + 2]) << 16 | UInt32(raw[i + 3]) << 24)
        }
    }
}
