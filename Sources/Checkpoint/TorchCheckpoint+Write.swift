import Foundation

extension TorchCheckpoint {
    /// Writes `stateDict` as a PyTorch checkpoint holding `{modelKey: OrderedDict(name -> tensor)}` that
    /// `torch.load(path, weights_only=True)` reads. Floating-point tensors are stored as float32; integer and
    /// boolean tensors keep their dtype. Each tensor gets its own storage, aligned to 64 bytes in the archive.
    /// The file is written to a temporary name and renamed, so `url` is never left half-written.
    public static func write(_ stateDict: StateDict, to url: URL, modelKey: String = "model") throws {
        var records: [PickleWriter.TensorRecord] = []
        var storages: [(key: String, bytes: Data)] = []
        for (index, entry) in stateDict.enumerated() {
            let tensor = SafeTensors.convert(entry.tensor, to: .float32)
            let key = String(index)
            records.append(
                PickleWriter.TensorRecord(
                    name: entry.name, storageKey: key, dtype: tensor.dtype, storageElementCount: tensor.elementCount,
                    storageOffset: 0, shape: tensor.shape, strides: rowMajorStrides(tensor.shape)))
            storages.append((key, tensor.bytes))
        }
        try writeArchive(pickle: PickleWriter.stateDictPickle(records, modelKey: modelKey), storages: storages, to: url)
    }

    /// Writes the zip records torch expects: `archive/data.pkl`, `archive/byteorder`, `archive/data/<key>`, `archive/version`.
    static func writeArchive(pickle: [UInt8], storages: [(key: String, bytes: Data)], to url: URL) throws {
        try FileIO.writeAtomically(to: url) { handle in
            var zip = ZipWriter(handle: handle, path: url.path)
            try zip.add("archive/data.pkl", Data(pickle))
            try zip.add("archive/byteorder", Data("little".utf8))
            for storage in storages { try zip.add("archive/data/\(storage.key)", storage.bytes) }
            try zip.add("archive/version", Data("3\n".utf8))
            try zip.finish()
        }
    }

    /// Row-major (C-order) strides of `shape`, in elements.
    static func rowMajorStrides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var running = 1
        for axis in shape.indices.reversed() {
            strides[axis] = running
            running *= max(shape[axis], 1)
        }
        return strides
    }
}
