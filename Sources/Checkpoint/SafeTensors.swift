import Foundation

/// Reads and writes the safetensors format: an 8-byte little-endian header length `n`, `n` bytes of JSON
/// mapping each tensor name to `{dtype, shape, data_offsets}` (plus an optional `__metadata__` object of
/// strings), then the raw little-endian tensor data, offsets counted from the end of the header.
public enum SafeTensors {
    /// How floating-point tensors are stored by `write`. Integer and boolean tensors keep their own dtype.
    public enum FloatFormat: Sendable {
        case float32
        case float16
    }

    /// Reads every tensor of the file at `url`, in the order of their data, with the header's metadata.
    public static func read(_ url: URL) throws -> StateDict {
        try parse(FileIO.map(url), path: url.path)
    }

    /// Parses a whole safetensors file held in `data`.
    static func parse(_ data: Data, path: String) throws -> StateDict {
        guard let headerLength = data.littleEndian(at: 0, width: 8) else {
            throw WeightLoadError.truncated(path: path, detail: "file has \(data.count) bytes, fewer than the 8-byte header length")
        }
        guard headerLength <= UInt64(data.count - 8) else {
            throw WeightLoadError.invalidSafeTensorsHeader(
                path: path, detail: "header length \(headerLength) exceeds the \(data.count - 8) bytes after the length field")
        }
        let headerEnd = 8 + Int(headerLength)
        let header = data[(data.startIndex + 8)..<(data.startIndex + headerEnd)]
        guard let json = try? JSONSerialization.jsonObject(with: header), let object = json as? [String: Any] else {
            throw WeightLoadError.invalidSafeTensorsHeader(path: path, detail: "the header is not a JSON object")
        }
        let body = data[(data.startIndex + headerEnd)...]
        var located: [(name: String, range: Range<Int>, dtype: DType, shape: [Int])] = []
        var metadata: [String: String] = [:]
        for (name, value) in object {
            if name == "__metadata__" {
                metadata = try parseMetadata(value, path: path)
                continue
            }
            let entry = try parseEntry(name: name, value, dataSize: body.count, path: path)
            located.append((name, entry.range, entry.dtype, entry.shape))
        }
        located.sort { ($0.range.lowerBound, $0.range.upperBound, $0.name) < ($1.range.lowerBound, $1.range.upperBound, $1.name) }
        var result = StateDict()
        result.metadata = metadata
        var previous: (name: String, end: Int)?
        for entry in located {
            if let previous, entry.range.lowerBound < previous.end {
                throw WeightLoadError.invalidSafeTensorsHeader(
                    path: path, detail: "data of '\(entry.name)' overlaps the data of '\(previous.name)'")
            }
            if !entry.range.isEmpty { previous = (entry.name, entry.range.upperBound) }
            let bytes = body[(body.startIndex + entry.range.lowerBound)..<(body.startIndex + entry.range.upperBound)]
            guard let tensor = TensorData(dtype: entry.dtype, shape: entry.shape, bytes: bytes) else {
                throw WeightLoadError.invalidTensor(path: path, tensor: entry.name, detail: "byte count disagrees with the shape")
            }
            result[entry.name] = tensor
        }
        return result
    }

    private static func parseMetadata(_ value: Any, path: String) throws -> [String: String] {
        guard let dictionary = value as? [String: Any] else {
            throw WeightLoadError.invalidSafeTensorsHeader(path: path, detail: "__metadata__ is not an object")
        }
        var metadata: [String: String] = [:]
        for (key, item) in dictionary {
            guard let text = item as? String else {
                throw WeightLoadError.invalidSafeTensorsHeader(path: path, detail: "__metadata__ value '\(key)' is not a string")
            }
            metadata[key] = text
        }
        return metadata
    }

    /// Validates one header entry: known dtype, non-negative shape, offsets inside the data and matching the size.
    private static func parseEntry(
        name: String, _ value: Any, dataSize: Int, path: String
    ) throws -> (dtype: DType, shape: [Int], range: Range<Int>) {
        func fail(_ detail: String) -> WeightLoadError {
            .invalidSafeTensorsHeader(path: path, detail: "tensor '\(name)': \(detail)")
        }
        guard let spec = value as? [String: Any] else { throw fail("entry is not an object") }
        guard let dtypeName = spec["dtype"] as? String else { throw fail("missing dtype") }
        guard let dtype = DType(rawValue: dtypeName) else {
            throw WeightLoadError.unsupportedDType(path: path, tensor: name, dtype: dtypeName)
        }
        guard let shapeItems = spec["shape"] as? [Any] else { throw fail("missing shape") }
        let shape = shapeItems.compactMap { $0 as? Int }
        guard shape.count == shapeItems.count, let count = TensorData.elementCount(of: shape) else {
            throw fail("shape \(shapeItems) is not a list of non-negative integers")
        }
        guard let offsetItems = spec["data_offsets"] as? [Any], offsetItems.count == 2,
            let begin = offsetItems[0] as? Int, let end = offsetItems[1] as? Int
        else {
            throw fail("data_offsets is not a pair of integers")
        }
        guard begin >= 0, begin <= end, end <= dataSize else {
            throw fail("data_offsets [\(begin), \(end)] fall outside the \(dataSize) data bytes")
        }
        let (expected, overflow) = count.multipliedReportingOverflow(by: dtype.byteSize)
        guard !overflow, end - begin == expected else {
            throw fail("data_offsets span \(end - begin) bytes but shape \(shape) of \(dtypeName) needs \(expected)")
        }
        return (dtype, shape, begin..<end)
    }
}
