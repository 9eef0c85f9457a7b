import Tensor

/// Errors from mapping checkpoint keys onto a model. Each names the key and says what to check.
public enum ModelLoadError: Error, CustomStringConvertible, Equatable {
    case missingKey(String, source: String)
    case shapeMismatch(String, expected: [Int], found: [Int], source: String)
    case unusedKeys([String], source: String)
    /// A weight holds NaN or ±infinity (`value`) at flat element `index`: a model built from it could only
    /// produce non-finite outputs.
    case nonFinite(String, index: Int, value: Float, shape: [Int], source: String)

    public var description: String {
        switch self {
        case .missingKey(let k, let s):
            return "\(s): missing key '\(k)'. Check that the checkpoint matches the architecture (--arch / --model-config) and the model kind."
        case .shapeMismatch(let k, let e, let f, let s):
            return "\(s): key '\(k)' has shape \(f), the model expects \(e). The checkpoint is probably for another model size."
        case .unusedKeys(let keys, let s):
            let shown = keys.prefix(8).joined(separator: ", ")
            return
                "\(s): \(keys.count) checkpoint key(s) were not used by the model: \(shown)\(keys.count > 8 ? ", …" : ""). The checkpoint holds more layers than the chosen architecture, or is of another model kind."
        case .nonFinite(let k, let index, let value, let shape, let s):
            let shown = value.isNaN ? "NaN" : value > 0 ? "+infinity" : "-infinity"
            return
                "\(s): key '\(k)' (shape \(shape)) holds \(shown) at element \(index). The checkpoint is corrupt or was saved after training diverged; use an earlier checkpoint."
        }
    }
}

/// Strict access to a checkpoint's tensors; models are filled by `load(into:)`, which reads every parameter under
/// the name its visitor gives it. Every key read is recorded; `finish()` fails on keys left unused.
public final class WeightReader {
    public let source: String
    private var tensors: [String: Tensor]
    private var used: Set<String> = []
    /// Keys deliberately skipped (position tables, heads, VideoMAE decoder), reported by the caller.
    public private(set) var skipped: [String] = []

    public init(_ tensors: [String: Tensor], source: String) {
        self.tensors = tensors
        self.source = source
    }

    public var keys: [String] { tensors.keys.sorted() }

    /// The tensor under `name`, which must have exactly `shape` and finite values.
    public func tensor(_ name: String, shape: [Int]) throws -> Tensor {
        guard let t = tensors[name] else { throw ModelLoadError.missingKey(name, source: source) }
        guard t.shape == shape else {
            throw ModelLoadError.shapeMismatch(name, expected: shape, found: t.shape, source: source)
        }
        // Checked here, once per weight, so that no teacher, student or classifier runs on NaN weights and
        // writes NaN features or losses that look like a training problem.
        if let index = t.storage.firstIndex(where: { !$0.isFinite }) {
            throw ModelLoadError.nonFinite(name, index: index, value: t.storage[index], shape: t.shape, source: source)
        }
        used.insert(name)
        return t
    }

    public func contains(_ name: String) -> Bool { tensors[name] != nil }

    /// Marks every key matching `predicate` as deliberately skipped.
    public func skip(where predicate: (String) -> Bool) {
        for k in tensors.keys.sorted() where predicate(k) && !used.contains(k) {
            used.insert(k)
            skipped.append(k)
        }
    }

    /// Renames keys (e.g. stripping `backbone.`); later reads use the new names.
    public func renameKeys(_ transform: (String) -> String) {
        var renamed: [String: Tensor] = [:]
        for (k, v) in tensors { renamed[transform(k)] = v }
        tensors = renamed
    }

    /// The tensor under `name` as stored, without checks and without marking it used (to choose a layout conversion).
    public func peek(_ name: String) -> Tensor? { tensors[name] }

    /// Replaces the tensor under `name` by `replacements` (a layout conversion); they are then read like checkpoint keys.
    public func replace(_ name: String, with replacements: [(String, Tensor)]) {
        tensors[name] = nil
        for (key, value) in replacements { tensors[key] = value }
    }

    /// Throws when any key was neither read nor skipped.
    public func finish() throws {
        let unused = tensors.keys.filter { !used.contains($0) }.sorted()
        if !unused.isEmpty { throw ModelLoadError.unusedKeys(unused, source: source) }
    }

    /// Fills every parameter of `model` that `selected` accepts from the key of the visitor's name after `prefix`,
    /// which must have the parameter's checkpoint shape and finite values. The model's parameter visitor is thus
    /// the one place that names checkpoint keys; the first missing, mis-shaped or non-finite key is thrown.
    public func load<M: ParameterContainer>(
        into model: inout M, prefix: String = "",
        where selected: (String) -> Bool = { _ in true }
    ) throws {
        var failure: Error?
        model.visitParameters(prefix: "") { name, p in
            guard failure == nil, selected(name) else { return }
            do { p.value = try tensor(prefix + name, shape: p.checkpointShape).reshaped(p.value.shape) } catch { failure = error }
        }
        if let failure { throw failure }
    }
}
