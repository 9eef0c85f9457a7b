import Foundation

extension StateDict {
    /// Picks the state dict out of a loaded checkpoint object, as MVD's loaders do: the dict under the first
    /// of `modelKeys` present (default `model`, then `module`), else the whole top-level dict. Every entry
    /// must map a string name to a tensor. `path` only labels errors.
    public init(extractingFrom object: PickleValue, modelKeys: [String] = TorchCheckpoint.defaultModelKeys, path: String = "") throws {
        guard case .dict = object else {
            throw WeightLoadError.missingStateDict(path: path, detail: "the top-level object is a \(object.kindName), not a dict")
        }
        let chosenKey = modelKeys.first { object[$0] != nil }
        let candidate = chosenKey.flatMap { object[$0] } ?? object
        let origin = chosenKey.map { "'\($0)'" } ?? "the top-level dict (no key \(modelKeys.joined(separator: "|")))"
        guard case let .dict(entries) = candidate else {
            throw WeightLoadError.missingStateDict(path: path, detail: "\(origin) is a \(candidate.kindName), not a dict")
        }
        self.init()
        for entry in entries {
            guard case let .string(name) = entry.key else {
                throw WeightLoadError.missingStateDict(path: path, detail: "\(origin) has a non-string key (\(entry.key.kindName))")
            }
            switch entry.value {
            case let .tensor(tensor):
                self[name] = tensor
            case let .object(opaque) where opaque.className.hasPrefix("torch._utils._rebuild_tensor"):
                let storage = opaque.arguments.first?.kindName ?? "unknown storage"
                throw WeightLoadError.unsupportedDType(path: path, tensor: name, dtype: storage)
            default:
                throw WeightLoadError.missingStateDict(
                    path: path,
                    detail: "entry '\(name)' of \(origin) is a \(entry.value.kindName), not a tensor; "
                        + "top-level keys are [\(object.stringKeys.joined(separator: ", "))]; pass the key that holds the weights")
            }
        }
    }
}
