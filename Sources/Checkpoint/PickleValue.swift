import Foundation

/// A Python object decoded from a checkpoint's pickle stream: the plain data types, rebuilt tensors, and
/// an opaque `object` for anything outside the supported subset (e.g. the `argparse.Namespace` that MVD
/// pickles under `args`), so that the rest of the file stays readable.
public indirect enum PickleValue: Sendable, Equatable {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case bytes(Data)
    case tuple([PickleValue])
    /// A list (sets and frozensets are decoded as lists too).
    case list([PickleValue])
    /// A dict or OrderedDict, in insertion order.
    case dict([PickleDictEntry])
    case tensor(TensorData)
    /// A reference to a class or function, `"module.name"`.
    case global(String)
    /// An instance of a class this library does not model, kept as its constructor arguments and state.
    case object(PickleObject)

    /// The value stored under string key `key` when this is a dict; nil otherwise.
    public subscript(key: String) -> PickleValue? {
        guard case let .dict(entries) = self else { return nil }
        return entries.first { $0.key == .string(key) }?.value
    }

    /// The string keys of a dict, in order (empty for anything else).
    public var stringKeys: [String] {
        guard case let .dict(entries) = self else { return [] }
        return entries.compactMap { if case let .string(key) = $0.key { return key } else { return nil } }
    }

    /// A short name of the value's kind, for messages ("dict", "tensor", "argparse.Namespace", …).
    public var kindName: String {
        switch self {
        case .none: return "None"
        case .bool: return "bool"
        case .int: return "int"
        case .float: return "float"
        case .string: return "str"
        case .bytes: return "bytes"
        case .tuple: return "tuple"
        case .list: return "list"
        case .dict: return "dict"
        case .tensor: return "tensor"
        case let .global(name): return "global \(name)"
        case let .object(object): return object.className
        }
    }
}

/// One key/value pair of a pickled dict.
public struct PickleDictEntry: Sendable, Equatable {
    public let key: PickleValue
    public let value: PickleValue

    public init(key: PickleValue, value: PickleValue) {
        self.key = key
        self.value = value
    }
}

/// An instance of a class outside the supported subset: `className(*arguments)`, then `__setstate__(state)`.
public struct PickleObject: Sendable, Equatable {
    /// `"module.name"` of the class or callable that built it.
    public let className: String
    public let arguments: [PickleValue]
    public let state: PickleValue?
}
