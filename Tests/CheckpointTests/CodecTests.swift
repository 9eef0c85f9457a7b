import Foundation
import Testing

@testable import Checkpoint

@Test("CRC-32 of the standard check string is 0xCBF43926, also when fed in pieces")
func crcCheckValue() {
    let text = Data("123456789".utf8)
    #expect(CRC32.checksum(text) == 0xCBF4_3926)
    #expect(CRC32.checksum(text.suffix(4), previous: CRC32.checksum(text.prefix(5))) == 0xCBF4_3926)
}

@Test(
    "binary16 conversions are exact for normal, subnormal and special values",
    arguments: [
        (UInt16(0x3C00), Float(1)), (0xC000, -2), (0x7BFF, 65504), (0x0001, 5.9604645e-08), (0x0400, 6.1035156e-05),
        (0x8000, -0.0), (0x7C00, .infinity), (0x3555, 0.33325195)
    ] as [(UInt16, Float)])
func halfConversions(_ bits: UInt16, _ value: Float) {
    #expect(HalfPrecision.float(fromHalf: bits) == value)
    #expect(HalfPrecision.half(from: value) == bits)
}

@Test("binary16 rounding is to nearest even, and NaN stays NaN")
func halfRounding() {
    #expect(HalfPrecision.half(from: 1 + 1.0 / 2048) == 0x3C00)  // halfway, rounds to even (down)
    #expect(HalfPrecision.half(from: 1 + 3.0 / 2048) == 0x3C02)  // halfway, rounds to even (up)
    #expect(HalfPrecision.half(from: 65520) == 0x7C00)  // rounds past the largest finite value
    #expect(HalfPrecision.float(fromHalf: HalfPrecision.half(from: .nan)).isNaN)
    #expect(HalfPrecision.float(fromBFloat16: 0x3F80) == 1)
}

@Test("protocol-4 opcodes (FRAME, MEMOIZE, STACK_GLOBAL, short strings, LONG1, BINFLOAT) decode to the right values")
func protocolFourOpcodes() throws {
    var program: [UInt8] = [0x80, 4, 0x95] + [UInt8](repeating: 0, count: 8)  // PROTO 4, FRAME
    program += [0x8C, 11] + Array("collections".utf8) + [0x94]  // SHORT_BINUNICODE, MEMOIZE (0)
    program += [0x8C, 11] + Array("OrderedDict".utf8) + [0x94, 0x93, 0x94]  // STACK_GLOBAL, MEMOIZE (2)
    program += [UInt8(ascii: ")"), UInt8(ascii: "R"), 0x94, UInt8(ascii: "(")]  // OrderedDict(), MARK
    program += [0x8C, 1, UInt8(ascii: "n"), 0x8A, 2, 0x00, 0xFF]  // "n": LONG1 -256
    program += [0x8C, 1, UInt8(ascii: "f"), UInt8(ascii: "G"), 0xC0, 0x09, 0x21, 0xFB, 0x54, 0x44, 0x2D, 0x18]  // -pi
    program += [0x8C, 1, UInt8(ascii: "g"), 0x68, 0]  // BINGET 0 -> "collections"
    program += [0x8C, 1, UInt8(ascii: "t"), 0x88, UInt8(ascii: "N"), 0x86]  // TUPLE2 (True, None)
    program += [0x8C, 1, UInt8(ascii: "i"), UInt8(ascii: "J"), 0xFE, 0xFF, 0xFF, 0xFF]  // BININT -2
    program += [0x8C, 1, UInt8(ascii: "l"), UInt8(ascii: "]"), UInt8(ascii: "("), UInt8(ascii: "K"), 1, UInt8(ascii: "M"), 0, 1, UInt8(ascii: "e")]
    program += [UInt8(ascii: "u"), UInt8(ascii: ".")]
    var unpickler = Unpickler(program, path: "p") { _ in .value(.none) }
    let freezer = PickleFreezer(path: "p")
    let value = try freezer.freeze(try unpickler.load())
    #expect(value.stringKeys == ["n", "f", "g", "t", "i", "l"])
    #expect(value["n"] == .int(-256))
    #expect(value["f"] == .float(-Double.pi))
    #expect(value["g"] == .string("collections"))
    #expect(value["t"] == .tuple([.bool(true), .none]))
    #expect(value["i"] == .int(-2))
    #expect(value["l"] == .list([.int(1), .int(256)]))
}

@Test("a self-referencing list is refused instead of recursing forever")
func cyclicPickle() throws {
    // EMPTY_LIST, BINPUT 0, BINGET 0, APPEND, STOP: l = []; l.append(l)
    let program: [UInt8] = [0x80, 2, UInt8(ascii: "]"), UInt8(ascii: "q"), 0, UInt8(ascii: "h"), 0, UInt8(ascii: "a"), UInt8(ascii: ".")]
    var unpickler = Unpickler(program, path: "p") { _ in .value(.none) }
    let freezer = PickleFreezer(path: "p")
    let root = try unpickler.load()
    let error = try #require(throws: WeightLoadError.self) { _ = try freezer.freeze(root) }
    #expect(error.description.contains("cyclic"))
}
