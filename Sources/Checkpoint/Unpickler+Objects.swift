import Foundation

extension Unpickler {
    // MARK: containers

    /// Tuples, lists, dicts, sets, MARK and the stack-manipulation opcodes.
    mutating func stepContainer(_ opcode: UInt8) throws -> Bool {
        switch opcode {
        case UInt8(ascii: "}"): push(.dict)
        case UInt8(ascii: "]"), 0x8F: push(.list)
        case UInt8(ascii: ")"): push(.tuple)
        case UInt8(ascii: "("):
            metastack.append(stack)
            stack = []
        case UInt8(ascii: "t"): push(.tuple, children: try popMark())
        case 0x85, 0x86, 0x87:
            let count = Int(opcode - 0x84)
            guard stack.count >= count else { throw failure("TUPLE\(count) needs \(count) items on the stack") }
            let items = Array(stack.suffix(count))
            stack.removeLast(count)
            push(.tuple, children: items)
        case UInt8(ascii: "l"), 0x91: push(.list, children: try popMark())
        case UInt8(ascii: "d"): push(.dict, children: try pairs(try popMark()))
        case UInt8(ascii: "a"):
            let item = try pop()
            try appendItems([item])
        case UInt8(ascii: "e"), 0x90: try appendItems(try popMark())
        case UInt8(ascii: "s"):
            let value = try pop(), key = try pop()
            try setItems([key, value])
        case UInt8(ascii: "u"): try setItems(try popMark())
        case UInt8(ascii: "0"): _ = try pop()
        case UInt8(ascii: "1"): _ = try popMark()
        case UInt8(ascii: "2"):
            guard let top = stack.last else { throw failure("DUP on an empty stack") }
            push(top)
        default: return false
        }
        return true
    }

    /// Keys and values interleaved, as a dict node holds them.
    private func pairs(_ items: [Int]) throws -> [Int] {
        guard items.count % 2 == 0 else { throw failure("odd number of items for a dict") }
        return items
    }

    private mutating func appendItems(_ items: [Int]) throws {
        guard let target = stack.last, case .list = graph[target].kind else { throw failure("APPEND target is not a list") }
        graph.append(items, to: target)
    }

    private mutating func setItems(_ items: [Int]) throws {
        guard let target = stack.last, case .dict = graph[target].kind else { throw failure("SETITEM target is not a dict") }
        graph.append(try pairs(items), to: target)
    }

    // MARK: objects

    /// Globals, calls (REDUCE, NEWOBJ), BUILD and persistent ids.
    mutating func stepObject(_ opcode: UInt8) throws -> Bool {
        switch opcode {
        case UInt8(ascii: "c"):
            let module = try reader.line(), name = try reader.line()
            push(.global(module: module, name: name))
        case 0x93:
            let name = try pop(), module = try pop()
            guard let moduleName = graph.string(module), let qualifiedName = graph.string(name) else {
                throw failure("STACK_GLOBAL needs two strings")
            }
            push(.global(module: moduleName, name: qualifiedName))
        case UInt8(ascii: "R"), 0x81:
            let arguments = try pop(), callable = try pop()
            guard let items = graph.elements(arguments) else { throw failure("call arguments are not a tuple") }
            push(try call(callable, items))
        case 0x92:
            _ = try pop()  // keyword arguments: not used by any class this library models
            let arguments = try pop(), callable = try pop()
            push(try call(callable, graph.elements(arguments) ?? []))
        case UInt8(ascii: "b"): try build(state: try pop())
        case UInt8(ascii: "Q"):
            let freezer = PickleFreezer(path: path, maximumNodes: Unpickler.maximumPersistentIDNodes)
            push(try persistentLoad(try freezer.freeze(graph, from: try pop())))
        case UInt8(ascii: "P"): push(try persistentLoad(.string(try reader.line())))
        default: return false
        }
        return true
    }

    /// Applies BUILD state: kept on opaque objects, ignored on dicts, lists and tensors (e.g. `_metadata`).
    private mutating func build(state: Int) throws {
        guard let target = stack.last else { throw failure("BUILD on an empty stack") }
        if case .object = graph[target].kind { graph.setState(state, of: target) }
    }

    /// Calls a global: the handful of constructors torch checkpoints use are modelled, the rest become opaque objects.
    /// Returns the index of the result: a new node, or an argument passed through.
    private mutating func call(_ callable: Int, _ arguments: [Int]) throws -> Int {
        guard case let .global(module, name) = graph[callable].kind else {
            throw failure("call target is not a global")
        }
        switch (module, name) {
        case ("collections", "OrderedDict"), ("builtins", "dict"), ("__builtin__", "dict"):
            return graph.add(.dict)
        case ("torch._utils", "_rebuild_tensor_v2"), ("torch._utils", "_rebuild_tensor"):
            return graph.add(try TensorRebuild.rebuild(arguments, in: graph, path: path, offset: opcodeOffset))
        case ("torch._utils", "_rebuild_parameter"), ("torch._utils", "_rebuild_parameter_with_state"):
            guard let data = arguments.first else { throw failure("\(name) needs the tensor as first argument") }
            return data
        case ("torch", "Size"):
            return arguments.first ?? graph.add(.tuple)
        case ("_codecs", "encode"):
            guard let text = arguments.first.flatMap(graph.string) else { throw failure("_codecs.encode needs a string") }
            return graph.add(.value(.bytes(Data(text.unicodeScalars.map { UInt8(truncatingIfNeeded: $0.value) }))))
        default:
            return graph.add(.object(className: "\(module).\(name)"), children: arguments)
        }
    }
}
