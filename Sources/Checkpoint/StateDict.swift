import Foundation

/// An ordered name -> tensor map, the unit every checkpoint format reads and writes.
///
/// Names keep the order in which they were added (for `.pth` files, the order of the pickled dict; for
/// safetensors, the order of the data in the file). Setting an existing name replaces it in place.
public struct StateDict: Sendable, Equatable, Sequence {
    /// Tensor names in order.
    public private(set) var names: [String] = []
    private var tensors: [String: TensorData] = [:]
    /// Free-form string metadata (the safetensors `__metadata__` object; empty for `.pth` files).
    public var metadata: [String: String] = [:]

    public init() {}

    /// Builds a state dict from ordered pairs; a repeated name keeps its first position and its last value.
    public init(_ pairs: [(String, TensorData)], metadata: [String: String] = [:]) {
        for (name, tensor) in pairs { self[name] = tensor }
        self.metadata = metadata
    }

    public var count: Int { names.count }
    public var isEmpty: Bool { names.isEmpty }

    /// The tensor called `name`, or nil. Assigning nil removes it.
    public subscript(name: String) -> TensorData? {
        get { tensors[name] }
        set {
            if let tensor = newValue {
                if tensors.updateValue(tensor, forKey: name) == nil { names.append(name) }
            } else if tensors.removeValue(forKey: name) != nil {
                names.removeAll { $0 == name }
            }
        }
    }

    /// The tensor called `name`; throws `WeightLoadError.missingTensor` when absent.
    public func tensor(_ name: String) throws -> TensorData {
        guard let tensor = tensors[name] else { throw WeightLoadError.missingTensor(name: name, available: count) }
        return tensor
    }

    /// The values of tensor `name` converted to Float, row-major.
    public func floats(_ name: String) throws -> [Float] { try tensor(name).floats() }

    /// The shape of tensor `name`.
    public func shape(of name: String) throws -> [Int] { try tensor(name).shape }

    /// Iterates `(name, tensor)` pairs in order.
    public func makeIterator() -> AnyIterator<(name: String, tensor: TensorData)> {
        var index = 0
        return AnyIterator {
            while index < names.count {
                let name = names[index]
                index += 1
                if let tensor = tensors[name] { return (name, tensor) }
            }
            return nil
        }
    }
}
