import Checkpoint
import Foundation
import Tensor

extension WeightReader {
    /// A reader over a checkpoint file's state dict (`.pth` or safetensors, chosen by content).
    public convenience init(contentsOf url: URL) throws {
        self.init(stateDict: try CheckpointFile.load(url), source: url.lastPathComponent)
    }

    /// A reader over an in-memory state dict; every tensor is converted to float32.
    public convenience init(stateDict: StateDict, source: String) {
        var tensors: [String: Tensor] = [:]
        for (name, data) in stateDict { tensors[name] = Tensor(shape: data.shape, data.floats()) }
        self.init(tensors, source: source)
    }
}

extension StateDict {
    /// A float32 state dict from named tensors (for writing checkpoints).
    public init(tensors: [(String, Tensor)]) {
        self.init(tensors.map { ($0.0, TensorData(floats: $0.1.storage, shape: $0.1.shape)) })
    }
}
