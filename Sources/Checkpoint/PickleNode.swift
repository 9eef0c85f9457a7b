import Foundation

/// The unpickler's working representation. Lists, dicts and objects are reference boxes because pickle
/// mutates them after they are memoized (`BINPUT` then `SETITEMS`); `freeze` turns the result into values.
indirect enum PickleNode {
    final class ListBox {
        var items: [PickleNode] = []
    }

    final class DictBox {
        var entries: [(key: PickleNode, value: PickleNode)] = []
    }

    final class ObjectBox {
        let className: String
        var arguments: [PickleNode]
        var state: PickleNode?
        init(className: String, arguments: [PickleNode]) {
            self.className = className
            self.arguments = arguments
        }
    }

    /// A storage named by a persistent id: its bytes when its dtype is known, else only its class name.
    struct Storage {
        let className: String
        let key: String
        let dtype: DType?
        let bytes: Data
    }

    case value(PickleValue)
    case tuple([PickleNode])
    case list(ListBox)
    case dict(DictBox)
    case object(ObjectBox)
    case global(module: String, name: String)
    case storage(Storage)

    var asInt: Int? {
        if case let .value(.int(number)) = self { return number }
        if case let .value(.bool(flag)) = self { return flag ? 1 : 0 }
        return nil
    }

    var asString: String? {
        if case let .value(.string(text)) = self { return text }
        return nil
    }

    /// The elements of a tuple or list node.
    var elements: [PickleNode]? {
        switch self {
        case let .tuple(items): return items
        case let .list(box): return box.items
        default: return nil
        }
    }
}

/// Converts nodes into `PickleValue`s, refusing cycles and pathological sharing instead of looping forever.
struct PickleFreezer {
    let path: String
    private(set) var visited = 0
    static let maximumDepth = 1000
    static let maximumNodes = 50_000_000

    init(path: String) { self.path = path }

    mutating func freeze(_ node: PickleNode, depth: Int = 0) throws -> PickleValue {
        visited += 1
        guard depth < PickleFreezer.maximumDepth, visited < PickleFreezer.maximumNodes else {
            throw WeightLoadError.invalidPickle(
                path: path, offset: 0, detail: "object graph is cyclic or nested deeper than \(PickleFreezer.maximumDepth) levels")
        }
        switch node {
        case let .value(value): return value
        case let .tuple(items): return .tuple(try items.map { try freeze($0, depth: depth + 1) })
        case let .list(box): return .list(try box.items.map { try freeze($0, depth: depth + 1) })
        case let .dict(box):
            return .dict(try box.entries.map {
                PickleDictEntry(key: try freeze($0.key, depth: depth + 1), value: try freeze($0.value, depth: depth + 1))
            })
        case let .object(box):
            let arguments = try box.arguments.map { try freeze($0, depth: depth + 1) }
            let state = try box.state.map { try freeze($0, depth: depth + 1) }
            return .object(PickleObject(className: box.className, arguments: arguments, state: state))
        case let .global(module, name): return .global("\(module).\(name)")
        case let .storage(storage):
            return .object(PickleObject(className: "torch.\(storage.className)", arguments: [.string(storage.key)], state: nil))
        }
    }
}
