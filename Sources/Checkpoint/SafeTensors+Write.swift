import Foundation

extension SafeTensors {
    /// Writes `stateDict` to `url` atomically (temporary file, flush, rename), tensors in the state dict's
    /// order. Floating-point tensors are stored as `floatFormat`; others keep their dtype.
    /// `metadata` replaces `stateDict.metadata` when given.
    public static func write(
        _ stateDict: StateDict, to url: URL, metadata: [String: String]? = nil, floatFormat: FloatFormat = .float32
    ) throws {
        let stored = stateDict.map { (name: $0.name, tensor: convert($0.tensor, to: floatFormat)) }
        let header = headerBytes(stored, metadata: metadata ?? stateDict.metadata)
        try FileIO.writeAtomically(to: url) { handle in
            var length = UInt64(header.count).littleEndian
            try handle.write(contentsOf: Data(bytes: &length, count: 8))
            try handle.write(contentsOf: header)
            for entry in stored { try handle.write(contentsOf: entry.tensor.bytes) }
        }
    }

    /// The tensor in the stored dtype (float tensors become F32 or F16; others unchanged).
    static func convert(_ tensor: TensorData, to format: FloatFormat) -> TensorData {
        guard tensor.dtype.isFloatingPoint else { return tensor }
        switch format {
        case .float32:
            return tensor.dtype == .float32 ? tensor : TensorData(floats: tensor.floats(), shape: tensor.shape)
        case .float16:
            if tensor.dtype == .float16 { return tensor }
            let halves = tensor.floats().map { HalfPrecision.half(from: $0).littleEndian }
            let bytes = halves.withUnsafeBytes { Data($0) }
            return TensorData(dtype: .float16, shape: tensor.shape, bytes: bytes) ?? tensor
        }
    }

    /// The JSON header, metadata first, then tensors in order, padded with spaces to a multiple of 8 bytes.
    static func headerBytes(_ stored: [(name: String, tensor: TensorData)], metadata: [String: String]) -> Data {
        var fields: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0] ?? ""))" }
            fields.append("\"__metadata__\":{\(pairs.joined(separator: ","))}")
        }
        var offset = 0
        for (name, tensor) in stored {
            let end = offset + tensor.bytes.count
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            fields.append("\(jsonString(name)):{\"dtype\":\"\(tensor.dtype.rawValue)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(end)]}")
            offset = end
        }
        var text = "{" + fields.joined(separator: ",") + "}"
        while text.utf8.count % 8 != 0 { text += " " }
        return Data(text.utf8)
    }

    /// `value` as a JSON string literal.
    static func jsonString(_ value: String) -> String {
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
