import Foundation

/// One object of the unpickler's working graph. Objects refer to each other by index into
/// `PickleGraph.nodes`, not by reference: however deeply a file nests its containers, releasing the graph
/// frees one flat array, where a chain of boxes would be released recursively and overflow the stack
/// (a `data.pkl` of 100 000 nested lists is enough). Lists, dicts and objects are mutated in place after
/// they are memoized (`BINPUT` then `SETITEMS`), which shared indices allow.
struct PickleNode {
    enum Kind {
        /// A scalar, string, bytes or rebuilt tensor: a leaf.
        case value(PickleValue)
        case tuple
        case list
        /// `children` holds keys and values interleaved.
        case dict
        /// An instance of a class this library does not model; `children` are its constructor arguments.
        case object(className: String)
        case global(module: String, name: String)
        case storage(Storage)
    }

    /// A storage named by a persistent id: its bytes when its dtype is known, else only its class name.
    struct Storage {
        let className: String
        let key: String
        let dtype: DType?
        let bytes: Data
    }

    var kind: Kind
    /// Elements of a tuple or list, keys and values of a dict, constructor arguments of an object.
    var children: [Int] = []
    /// The `BUILD` state of an object.
    var state: Int?
}

/// The objects a pickle program built, and which of them `STOP` returned.
struct PickleGraph {
    private(set) var nodes: [PickleNode] = []
    var root = 0

    mutating func add(_ node: PickleNode) -> Int {
        nodes.append(node)
        return nodes.count - 1
    }

    mutating func add(_ kind: PickleNode.Kind, children: [Int] = []) -> Int { add(PickleNode(kind: kind, children: children)) }

    subscript(id: Int) -> PickleNode { nodes[id] }

    /// Appends to a list's or dict's children in place (no copy of the other children).
    mutating func append(_ items: [Int], to id: Int) { nodes[id].children.append(contentsOf: items) }

    mutating func setState(_ state: Int, of id: Int) { nodes[id].state = state }

    func int(_ id: Int) -> Int? {
        if case let .value(.int(number)) = nodes[id].kind { return number }
        if case let .value(.bool(flag)) = nodes[id].kind { return flag ? 1 : 0 }
        return nil
    }

    func string(_ id: Int) -> String? {
        if case let .value(.string(text)) = nodes[id].kind { return text }
        return nil
    }

    /// The elements of a tuple or list node.
    func elements(_ id: Int) -> [Int]? {
        switch nodes[id].kind {
        case .tuple, .list: return nodes[id].children
        default: return nil
        }
    }
}

/// Converts a graph into `PickleValue`s without recursion, refusing cycles, nesting deeper than
/// `maximumDepth` and sharing that would expand into more than `maximumNodes` values, so that neither this
/// walk nor any later walk of the result can loop forever, exhaust memory or overflow the stack.
struct PickleFreezer {
    let path: String
    let maximumNodes: Int
    static let maximumDepth = 1000
    static let defaultMaximumNodes = 50_000_000

    init(path: String, maximumNodes: Int = PickleFreezer.defaultMaximumNodes) {
        self.path = path
        self.maximumNodes = maximumNodes
    }

    /// The value of the graph's root.
    func freeze(_ graph: PickleGraph) throws -> PickleValue { try freeze(graph, from: graph.root) }

    /// The value of node `start`. A node reached twice is converted once and shared (values are copy-on-write).
    func freeze(_ graph: PickleGraph, from start: Int) throws -> PickleValue {
        struct Done {
            let value: PickleValue
            let height: Int
            let size: Int
        }
        var done: [Int: Done] = [:]
        var open: Set<Int> = []
        // Post-order walk: a node is pushed unexpanded, then again expanded once its children are queued.
        var work: [(id: Int, expanded: Bool)] = [(start, false)]
        while let (id, expanded) = work.popLast() {
            let node = graph[id]
            let references = node.children + (node.state.map { [$0] } ?? [])
            if !expanded {
                if done[id] != nil { continue }
                // Still open when reached again: the node is its own ancestor.
                guard open.insert(id).inserted else { throw failure("object graph is cyclic") }
                work.append((id, true))
                for child in references.reversed() where done[child] == nil { work.append((child, false)) }
                continue
            }
            open.remove(id)
            let parts = references.map { done[$0]! }
            let height = 1 + (parts.map(\.height).max() ?? 0)
            let size = parts.reduce(1) { $0.addingReportingOverflow($1.size).overflow ? .max : $0 + $1.size }
            guard height <= PickleFreezer.maximumDepth else {
                throw failure("object graph is nested deeper than \(PickleFreezer.maximumDepth) levels")
            }
            guard size <= maximumNodes else {
                throw failure("object graph shares objects so often that it expands to more than \(maximumNodes) values")
            }
            done[id] = Done(value: value(of: node, parts.map(\.value)), height: height, size: size)
        }
        return done[start]!.value
    }

    /// The value of one node whose children (then state) have been converted to `parts`.
    private func value(of node: PickleNode, _ parts: [PickleValue]) -> PickleValue {
        switch node.kind {
        case let .value(value): return value
        case .tuple: return .tuple(parts)
        case .list: return .list(parts)
        case .dict:
            // An odd trailing key cannot occur: the unpickler only ever adds whole pairs.
            return .dict(stride(from: 0, to: parts.count - 1, by: 2).map { PickleDictEntry(key: parts[$0], value: parts[$0 + 1]) })
        case let .object(className):
            let count = node.children.count
            return .object(
                PickleObject(
                    className: className, arguments: Array(parts[..<count]),
                    state: node.state == nil ? nil : parts[count]))
        case let .global(module, name): return .global("\(module).\(name)")
        case let .storage(storage):
            return .object(PickleObject(className: "torch.\(storage.className)", arguments: [.string(storage.key)], state: nil))
        }
    }

    private func failure(_ detail: String) -> WeightLoadError { .invalidPickle(path: path, offset: 0, detail: detail) }
}
