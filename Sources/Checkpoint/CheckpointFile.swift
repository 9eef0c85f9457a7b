import Foundation

/// Loads weights from either supported format, chosen by the file's content rather than its extension.
public enum CheckpointFile {
    /// The container formats this library reads.
    public enum Format: Sendable, Equatable {
        case torchZip
        case safeTensors
    }

    /// Detects the format from the first bytes: a zip signature means a PyTorch checkpoint, a plausible
    /// header length followed by `{` means safetensors; a bare pickle is reported as the legacy torch format.
    public static func detectFormat(_ url: URL) throws -> Format {
        try detectFormat(FileIO.map(url), path: url.path)
    }

    /// Reads the state dict of a `.pth` (picking `modelKeys` as `TorchCheckpoint.read` does) or safetensors file.
    public static func load(_ url: URL, modelKeys: [String] = TorchCheckpoint.defaultModelKeys) throws -> StateDict {
        let data = try FileIO.map(url)
        switch try detectFormat(data, path: url.path) {
        case .torchZip:
            return try StateDict(extractingFrom: TorchCheckpoint.loadObject(data, path: url.path), modelKeys: modelKeys, path: url.path)
        case .safeTensors:
            return try SafeTensors.parse(data, path: url.path)
        }
    }

    static func detectFormat(_ data: Data, path: String) throws -> Format {
        guard data.count >= 4 else {
            throw WeightLoadError.truncated(path: path, detail: "the file holds only \(data.count) bytes")
        }
        let magic = data.littleEndian(at: 0, width: 4)
        if magic == 0x0403_4B50 || magic == 0x0605_4B50 { return .torchZip }
        if data.first == 0x80 { throw WeightLoadError.legacyTorchFormat(path: path) }
        if data.count > 8, data[data.startIndex + 8] == UInt8(ascii: "{") {
            return .safeTensors  // the header length and JSON are validated while parsing
        }
        if data.count < 8 {
            throw WeightLoadError.unrecognizedFormat(path: path, detail: "only \(data.count) bytes")
        }
        throw WeightLoadError.unrecognizedFormat(path: path, detail: "neither a zip signature nor a safetensors header")
    }
}
