import Foundation

/// Emits the protocol-2 pickle that `torch.save` writes for `{key: OrderedDict(name -> tensor)}`, each
/// tensor rebuilt by `torch._utils._rebuild_tensor_v2` from a persistent-id storage.
struct PickleWriter {
    /// One tensor as a view of a storage (offset, size and stride in elements).
    struct TensorRecord {
        let name: String
        let storageKey: String
        let dtype: DType
        let storageElementCount: Int
        let storageOffset: Int
        let shape: [Int]
        let strides: [Int]
    }

    private(set) var bytes: [UInt8] = []

    /// The pickle of `{modelKey: OrderedDict(records)}`.
    static func stateDictPickle(_ records: [TensorRecord], modelKey: String) -> [UInt8] {
        var writer = PickleWriter()
        writer.bytes += [0x80, 2, UInt8(ascii: "}")]  // PROTO 2, EMPTY_DICT
        writer.string(modelKey)
        writer.global("collections", "OrderedDict")
        writer.bytes += [UInt8(ascii: ")"), UInt8(ascii: "R"), UInt8(ascii: "(")]  // OrderedDict(), MARK
        for record in records {
            writer.string(record.name)
            writer.tensor(record)
        }
        writer.bytes += [UInt8(ascii: "u"), UInt8(ascii: "s"), UInt8(ascii: ".")]  // SETITEMS, SETITEM, STOP
        return writer.bytes
    }

    private mutating func tensor(_ record: TensorRecord) {
        global("torch._utils", "_rebuild_tensor_v2")
        bytes.append(UInt8(ascii: "("))
        bytes.append(UInt8(ascii: "("))  // persistent id tuple
        string("storage")
        global("torch", record.dtype.torchStorageName)
        string(record.storageKey)
        string("cpu")
        int(record.storageElementCount)
        bytes += [UInt8(ascii: "t"), UInt8(ascii: "Q")]  // TUPLE, BINPERSID
        int(record.storageOffset)
        tuple(record.shape)
        tuple(record.strides)
        bytes.append(0x89)  // requires_grad = False
        global("collections", "OrderedDict")  // backward_hooks = OrderedDict()
        bytes += [UInt8(ascii: ")"), UInt8(ascii: "R")]
        bytes += [UInt8(ascii: "t"), UInt8(ascii: "R")]  // TUPLE of the arguments, REDUCE
    }

    private mutating func global(_ module: String, _ name: String) {
        bytes.append(UInt8(ascii: "c"))
        bytes += Array("\(module)\n\(name)\n".utf8)
    }

    private mutating func string(_ text: String) {
        let utf8 = Array(text.utf8)
        bytes.append(UInt8(ascii: "X"))
        littleEndian(UInt32(utf8.count))
        bytes += utf8
    }

    private mutating func int(_ value: Int) {
        switch value {
        case 0..<0x100: bytes += [UInt8(ascii: "K"), UInt8(value)]
        case 0x100..<0x1_0000:
            bytes.append(UInt8(ascii: "M"))
            littleEndian(UInt16(value))
        case Int(Int32.min)...Int(Int32.max):
            bytes.append(UInt8(ascii: "J"))
            littleEndian(UInt32(bitPattern: Int32(value)))
        default:
            bytes += [0x8A, 8]
            littleEndian(UInt64(bitPattern: Int64(value)))  // LONG1, 8 bytes
        }
    }

    private mutating func tuple(_ values: [Int]) {
        switch values.count {
        case 0: bytes.append(UInt8(ascii: ")"))
        case 1...3:
            values.forEach { int($0) }
            bytes.append(0x84 + UInt8(values.count))  // TUPLE1..3
        default:
            bytes.append(UInt8(ascii: "("))
            values.forEach { int($0) }
            bytes.append(UInt8(ascii: "t"))
        }
    }

    private mutating func littleEndian<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
    }
}
