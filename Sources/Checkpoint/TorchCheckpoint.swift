import Foundation

/// Reads and writes PyTorch checkpoints in the zip format of `torch.save` (torch >= 1.6), without Python:
/// a zip archive holding `<prefix>/data.pkl` (the pickled object), `<prefix>/data/<key>` (raw storages),
/// `<prefix>/version` and usually `<prefix>/byteorder`.
public enum TorchCheckpoint {
    /// The keys tried, in order, when picking the state dict out of a checkpoint (MVD's `--model_key model|module`).
    public static let defaultModelKeys = ["model", "module"]

    /// Reads the state dict of the checkpoint at `url`: the dict under the first of `modelKeys` present,
    /// else the whole top-level dict.
    public static func read(_ url: URL, modelKeys: [String] = defaultModelKeys) throws -> StateDict {
        let object = try loadObject(url)
        return try StateDict(extractingFrom: object, modelKeys: modelKeys, path: url.path)
    }

    /// Decodes the whole pickled object of the checkpoint at `url` (e.g. to read `epoch` or `args`).
    public static func loadObject(_ url: URL) throws -> PickleValue {
        try loadObject(FileIO.map(url), path: url.path)
    }

    static func loadObject(_ data: Data, path: String) throws -> PickleValue {
        try checkContainer(data, path: path)
        let archive = try ZipArchive(data: data, path: path)
        guard let pickle = archive.entries.first(where: { isRecord($0.name, "data.pkl") }) else {
            throw WeightLoadError.invalidArchive(path: path, detail: "no '<prefix>/data.pkl' entry")
        }
        let prefix = String(pickle.name.dropLast("data.pkl".count))
        if let order = archive.entry(named: prefix + "byteorder") {
            let text = String(decoding: try archive.contents(of: order, verify: true), as: UTF8.self)
            guard text.trimmingCharacters(in: .whitespacesAndNewlines) == "little" else {
                throw WeightLoadError.invalidArchive(path: path, detail: "byte order '\(text)' is not supported; re-save on a little-endian machine")
            }
        }
        let program = [UInt8](try archive.contents(of: pickle, verify: true))
        var unpickler = Unpickler(program, path: path) { identifier in
            try loadStorage(identifier, archive: archive, prefix: prefix)
        }
        return try PickleFreezer(path: path).freeze(try unpickler.load())
    }

    /// True for `<one folder>/<name>`, the layout torch uses for every record.
    private static func isRecord(_ entry: String, _ name: String) -> Bool {
        let parts = entry.split(separator: "/", omittingEmptySubsequences: false)
        return parts.count == 2 && parts[1] == name
    }

    /// Rejects legacy (pre-1.6) pickle files and anything that is not a zip archive, before parsing.
    private static func checkContainer(_ data: Data, path: String) throws {
        guard data.count >= 4 else {
            throw WeightLoadError.truncated(path: path, detail: "the file holds only \(data.count) bytes")
        }
        let magic = data.littleEndian(at: 0, width: 4)
        if magic == 0x0403_4B50 || magic == 0x0605_4B50 { return }
        if data.first == 0x80 { throw WeightLoadError.legacyTorchFormat(path: path) }
        throw WeightLoadError.unrecognizedFormat(path: path, detail: "no zip signature at the start of the file")
    }

    /// Resolves `('storage', torch.<Type>Storage, key, location, numel)` to the bytes of `<prefix>/data/<key>`.
    private static func loadStorage(_ identifier: PickleValue, archive: ZipArchive, prefix: String) throws -> PickleNode.Kind {
        let path = archive.path
        guard case let .tuple(fields) = identifier, fields.count >= 5, fields[0] == .string("storage"),
            case let .global(qualifiedType) = fields[1], case let .string(key) = fields[2], case let .int(numel) = fields[4],
            let typeName = qualifiedType.split(separator: ".").last.map(String.init)
        else {
            throw WeightLoadError.invalidPickle(path: path, offset: 0, detail: "persistent id is not ('storage', type, key, location, numel)")
        }
        let dtype = typeName == "UntypedStorage" ? DType.uint8 : DType(torchStorageName: typeName)
        guard let entry = archive.entry(named: prefix + "data/" + key) else {
            throw WeightLoadError.invalidArchive(path: path, detail: "storage '\(key)' has no entry '\(prefix)data/\(key)'")
        }
        let bytes = try archive.contents(of: entry)
        if let dtype {
            let (needed, overflow) = numel.multipliedReportingOverflow(by: dtype.byteSize)
            guard numel >= 0, !overflow, needed <= bytes.count else {
                throw WeightLoadError.truncated(path: path, detail: "storage '\(key)' declares \(numel) elements but holds \(bytes.count) bytes")
            }
            return .storage(.init(className: typeName, key: key, dtype: dtype, bytes: bytes[bytes.startIndex..<(bytes.startIndex + needed)]))
        }
        return .storage(.init(className: typeName, key: key, dtype: nil, bytes: Data()))
    }
}
