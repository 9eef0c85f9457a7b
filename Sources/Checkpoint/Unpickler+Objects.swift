import Foundation

extension Unpickler {
    // MARK: containers

    /// Tuples, lists, dicts, sets, MARK and the stack-manipulation opcodes.
    mutating func stepContainer(_ opcode: UInt8) throws -> Bool {
        switch opcode {
        case UInt8(ascii: "}"): push(.dict(PickleNode.DictBox()))
        case UInt8(ascii: "]"), 0x8F: push(.list(PickleNode.ListBox()))
        case UInt8(ascii: ")"): push(PickleNode.tuple([]))
        case UInt8(ascii: "("): metastack.append(stack); stack = []
        case UInt8(ascii: "t"): push(PickleNode.tuple(try popMark()))
        case 0x85, 0x86, 0x87:
            let count = Int(opcode - 0x84)
            guard stack.count >= count else { throw failure("TUPLE\(count) needs \(count) items on the stack") }
            let items = Array(stack.suffix(count))
            stack.removeLast(count)
            push(PickleNode.tuple(items))
        case UInt8(ascii: "l"), 0x91: push(.list(listBox(try popMark())))
        case UInt8(ascii: "d"): push(.dict(try dictBox(pairs: try popMark())))
        case UInt8(ascii: "a"): let item = try pop(); try appendItems([item])
        case UInt8(ascii: "e"), 0x90: try appendItems(try popMark())
        case UInt8(ascii: "s"): let value = try pop(), key = try pop(); try setItems([key, value])
        case UInt8(ascii: "u"): try setItems(try popMark())
        case UInt8(ascii: "0"): _ = try pop()
        case UInt8(ascii: "1"): _ = try popMark()
        case UInt8(ascii: "2"): guard let top = stack.last else { throw failure("DUP on an empty stack") }; push(top)
        default: return false
        }
        return true
    }

    private func listBox(_ items: [PickleNode]) -> PickleNode.ListBox {
        let box = PickleNode.ListBox()
        box.items = items
        return box
    }

    private func dictBox(pairs items: [PickleNode]) throws -> PickleNode.DictBox {
        guard items.count % 2 == 0 else { throw failure("odd number of items for a dict") }
        let box = PickleNode.DictBox()
        for index in stride(from: 0, to: items.count, by: 2) { box.entries.append((items[index], items[index + 1])) }
        return box
    }

    private mutating func appendItems(_ items: [PickleNode]) throws {
        guard case let .list(box)? = stack.last else { throw failure("APPEND target is not a list") }
        box.items.append(contentsOf: items)
    }

    private mutating func setItems(_ items: [PickleNode]) throws {
        guard case let .dict(box)? = stack.last else { throw failure("SETITEM target is not a dict") }
        box.entries.append(contentsOf: try dictBox(pairs: items).entries)
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
            guard let moduleName = module.asString, let qualifiedName = name.asString else {
                throw failure("STACK_GLOBAL needs two strings")
            }
            push(.global(module: moduleName, name: qualifiedName))
        case UInt8(ascii: "R"), 0x81:
            let arguments = try pop(), callable = try pop()
            guard let items = arguments.elements else { throw failure("call arguments are not a tuple") }
            push(try call(callable, items))
        case 0x92:
            _ = try pop()  // keyword arguments: not used by any class this library models
            let arguments = try pop(), callable = try pop()
            push(try call(callable, arguments.elements ?? []))
        case UInt8(ascii: "b"): try build(state: try pop())
        case UInt8(ascii: "Q"): push(try persistentLoad(try pop()))
        case UInt8(ascii: "P"): push(try persistentLoad(.value(.string(try reader.line()))))
        default: return false
        }
        return true
    }

    /// Applies BUILD state: kept on opaque objects, ignored on dicts, lists and tensors (e.g. `_metadata`).
    private mutating func build(state: PickleNode) throws {
        guard let target = stack.last else { throw failure("BUILD on an empty stack") }
        if case let .object(box) = target { box.state = state }
    }

    /// Calls a global: the handful of constructors torch checkpoints use are modelled, the rest become opaque objects.
    private func call(_ callable: PickleNode, _ arguments: [PickleNode]) throws -> PickleNode {
        guard case let .global(module, name) = callable else {
            throw failure("call target is not a global")
        }
        switch (module, name) {
        case ("collections", "OrderedDict"), ("builtins", "dict"), ("__builtin__", "dict"):
            return .dict(PickleNode.DictBox())
        case ("torch._utils", "_rebuild_tensor_v2"), ("torch._utils", "_rebuild_tensor"):
            return try TensorRebuild.rebuild(arguments, path: path, offset: opcodeOffset)
        case ("torch._utils", "_rebuild_parameter"), ("torch._utils", "_rebuild_parameter_with_state"):
            guard let data = arguments.first else { throw failure("\(name) needs the tensor as first argument") }
            return data
        case ("torch", "Size"):
            return arguments.first ?? .tuple([])
        case ("_codecs", "encode"):
            guard let text = arguments.first?.asString else { throw failure("_codecs.encode needs a string") }
            return .value(.bytes(Data(text.unicodeScalars.map { UInt8(truncatingIfNeeded: $0.value) })))
        default:
            return .object(PickleNode.ObjectBox(className: "\(module).\(name)", arguments: arguments))
        }
    }
}
