import Foundation

/// A pickle virtual machine for the subset of protocols 2–5 that `torch.save` emits (plus the common
/// protocol-0/1 container opcodes). Unknown opcodes throw `WeightLoadError.unknownOpcode`; classes it does
/// not model become opaque objects (see `callGlobal`), so unexpected metadata never blocks the weights.
struct Unpickler {
    /// Resolves a `BINPERSID` id (for torch: `('storage', storage_type, key, location, numel)`).
    typealias PersistentLoader = (PickleValue) throws -> PickleNode.Kind

    /// The most values a persistent id may expand to; torch's have five fields.
    static let maximumPersistentIDNodes = 256

    var reader: ByteReader
    let path: String
    let persistentLoad: PersistentLoader
    /// Every object built so far; the stacks and the memo hold indices into it.
    var graph = PickleGraph()
    var stack: [Int] = []
    var metastack: [[Int]] = []
    var memo: [Int: Int] = [:]
    /// Offset of the opcode being executed, for error messages.
    var opcodeOffset = 0

    init(_ bytes: [UInt8], path: String, persistentLoad: @escaping PersistentLoader) {
        reader = ByteReader(bytes, path: path, what: "data.pkl")
        self.path = path
        self.persistentLoad = persistentLoad
    }

    /// Runs the program up to `STOP` and returns the objects it built, rooted at the one `STOP` returned.
    mutating func load() throws -> PickleGraph {
        while true {
            opcodeOffset = reader.position
            let opcode = try reader.u8()
            if opcode == UInt8(ascii: ".") {
                graph.root = try pop()
                return graph
            }
            let handled = try stepScalar(opcode) || stepMemo(opcode) || stepContainer(opcode) || stepObject(opcode)
            guard handled else {
                throw WeightLoadError.unknownOpcode(path: path, opcode: opcode, offset: opcodeOffset)
            }
        }
    }

    func failure(_ detail: String) -> WeightLoadError {
        .invalidPickle(path: path, offset: opcodeOffset, detail: detail)
    }

    mutating func push(_ id: Int) { stack.append(id) }
    mutating func push(_ kind: PickleNode.Kind, children: [Int] = []) { stack.append(graph.add(kind, children: children)) }
    mutating func push(_ value: PickleValue) { push(.value(value)) }

    mutating func pop() throws -> Int {
        guard let top = stack.popLast() else { throw failure("stack underflow") }
        return top
    }

    /// Pops everything pushed since the last MARK and restores the stack below it.
    mutating func popMark() throws -> [Int] {
        guard let below = metastack.popLast() else { throw failure("no MARK on the stack") }
        let items = stack
        stack = below
        return items
    }

    // MARK: scalars

    /// Constants, integers, floats, strings and bytes.
    mutating func stepScalar(_ opcode: UInt8) throws -> Bool {
        switch opcode {
        case 0x80: _ = try reader.u8()  // PROTO n: any protocol up to 5 is read leniently
        case 0x95: _ = try reader.u64()  // FRAME: length of the next frame, irrelevant when reading a buffer
        case UInt8(ascii: "N"): push(.none)
        case 0x88: push(.bool(true))
        case 0x89: push(.bool(false))
        case UInt8(ascii: "J"): push(.int(Int(try reader.i32())))
        case UInt8(ascii: "K"): push(.int(Int(try reader.u8())))
        case UInt8(ascii: "M"): push(.int(Int(try reader.u16())))
        case 0x8A: push(try readLong(byteCount: Int(try reader.u8())))
        case 0x8B: push(try readLong(byteCount: Int(try reader.i32())))
        case UInt8(ascii: "G"): push(.float(Double(bitPattern: try reader.u64().byteSwapped)))  // big-endian on the wire
        case UInt8(ascii: "X"): push(.string(try readText(Int(try reader.u32()))))
        case 0x8C: push(.string(try readText(Int(try reader.u8()))))
        case 0x8D: push(.string(try readText(try length64())))
        case UInt8(ascii: "T"): push(.string(try readLatin1(Int(try reader.i32()))))
        case UInt8(ascii: "U"): push(.string(try readLatin1(Int(try reader.u8()))))
        case UInt8(ascii: "B"): push(.bytes(Data(try reader.slice(Int(try reader.u32())))))
        case UInt8(ascii: "C"): push(.bytes(Data(try reader.slice(Int(try reader.u8())))))
        case 0x8E, 0x96: push(.bytes(Data(try reader.slice(try length64()))))
        case UInt8(ascii: "I"): push(try parseTextInt(try reader.line()))
        case UInt8(ascii: "L"): push(try parseTextInt(try reader.line().replacingOccurrences(of: "L", with: "")))
        default: return false
        }
        return true
    }

    private mutating func length64() throws -> Int {
        let length = try reader.u64()
        guard length <= UInt64(Int.max) else { throw failure("length \(length) is too large") }
        return Int(length)
    }

    private mutating func readText(_ count: Int) throws -> String {
        let bytes = try reader.slice(count)
        guard let text = String(validating: bytes, as: UTF8.self) else { throw failure("string is not valid UTF-8") }
        return text
    }

    private mutating func readLatin1(_ count: Int) throws -> String {
        String(String.UnicodeScalarView(try reader.slice(count).map { Unicode.Scalar($0) }))
    }

    /// A little-endian two's-complement integer; one wider than 64 bits becomes an opaque `builtins.int`.
    private mutating func readLong(byteCount: Int) throws -> PickleValue {
        let bytes = try reader.slice(byteCount)
        guard byteCount <= 8 else {
            return .object(PickleObject(className: "builtins.int", arguments: [.bytes(Data(bytes))], state: nil))
        }
        var value: UInt64 = 0
        for (shift, byte) in bytes.enumerated() { value |= UInt64(byte) << (8 * UInt64(shift)) }
        if byteCount > 0, byteCount < 8, let last = bytes.last, last & 0x80 != 0 {
            value |= ~UInt64(0) << (8 * UInt64(byteCount))  // sign-extend
        }
        return .int(Int(Int64(bitPattern: value)))
    }

    private func parseTextInt(_ line: String) throws -> PickleValue {
        switch line {
        case "00": return .bool(false)
        case "01": return .bool(true)
        default:
            guard let number = Int(line) else { throw failure("'\(line)' is not an integer") }
            return .int(number)
        }
    }

    // MARK: memo

    /// PUT/GET in their binary, long and text forms, and MEMOIZE.
    mutating func stepMemo(_ opcode: UInt8) throws -> Bool {
        switch opcode {
        case UInt8(ascii: "q"): try store(Int(try reader.u8()))
        case UInt8(ascii: "r"): try store(Int(try reader.u32()))
        case 0x94: try store(memo.count)
        case UInt8(ascii: "p"): try store(try memoIndex(try reader.line()))
        case UInt8(ascii: "h"): try fetch(Int(try reader.u8()))
        case UInt8(ascii: "j"): try fetch(Int(try reader.u32()))
        case UInt8(ascii: "g"): try fetch(try memoIndex(try reader.line()))
        default: return false
        }
        return true
    }

    private func memoIndex(_ line: String) throws -> Int {
        guard let index = Int(line) else { throw failure("memo index '\(line)' is not an integer") }
        return index
    }

    private mutating func store(_ index: Int) throws {
        guard let top = stack.last else { throw failure("memo store from an empty stack") }
        memo[index] = top
    }

    private mutating func fetch(_ index: Int) throws {
        guard let node = memo[index] else { throw failure("memo entry \(index) was never stored") }
        push(node)
    }
}
