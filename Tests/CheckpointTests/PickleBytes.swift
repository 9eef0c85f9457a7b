import Foundation

/// A tiny pickle assembler for tests that need hand-made streams (opcodes torch.save never emits, foreign classes).
struct PickleBytes {
    var bytes: [UInt8] = [0x80, 2]

    mutating func op(_ codes: UInt8...) { bytes += codes }
    mutating func op(_ code: Character) { bytes.append(code.asciiValue ?? 0) }

    mutating func string(_ text: String) {
        let utf8 = Array(text.utf8)
        bytes.append(UInt8(ascii: "X"))
        bytes += withUnsafeBytes(of: UInt32(utf8.count).littleEndian, Array.init)
        bytes += utf8
    }

    mutating func int(_ value: UInt8) { bytes += [UInt8(ascii: "K"), value] }

    mutating func global(_ module: String, _ name: String) {
        bytes.append(UInt8(ascii: "c"))
        bytes += Array("\(module)\n\(name)\n".utf8)
    }

    /// `_rebuild_tensor_v2(storage(key, numel), offset, size, stride, False, OrderedDict())` for float32.
    mutating func floatTensor(key: String, numel: UInt8, offset: UInt8, shape: [UInt8], strides: [UInt8]) {
        global("torch._utils", "_rebuild_tensor_v2")
        op("(")
        op("(")
        string("storage")
        global("torch", "FloatStorage")
        string(key)
        string("cpu")
        int(numel)
        op("t")
        op("Q")
        int(offset)
        op("(")
        shape.forEach { int($0) }
        op("t")
        op("(")
        strides.forEach { int($0) }
        op("t")
        op(0x89)
        global("collections", "OrderedDict")
        op(")")
        op("R")
        op("t")
        op("R")
    }
}
