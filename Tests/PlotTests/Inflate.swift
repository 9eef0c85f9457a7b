/// A minimal zlib/inflate for tests: stored (BTYPE 00) and fixed-Huffman (BTYPE 01) blocks, Adler-32 checked.
func inflateZlib(_ stream: [UInt8]) throws -> [UInt8] {
    guard stream.count >= 6, stream[0] & 0x0F == 8, (UInt16(stream[0]) << 8 | UInt16(stream[1])) % 31 == 0 else {
        throw PNGReader.Failure.unsupported("zlib header")
    }
    var bits = BitReader(bytes: stream, position: 2)
    var out: [UInt8] = []
    var final = false
    while !final {
        final = try bits.read(1) == 1
        switch try bits.read(2) {
        case 0: try inflateStored(&bits, into: &out)
        case 1: try inflateFixed(&bits, into: &out)
        default: throw PNGReader.Failure.unsupported("dynamic Huffman block")
        }
    }
    let p = bits.alignedByte
    guard p + 4 <= stream.count else { throw PNGReader.Failure.truncated }
    var a: UInt32 = 1, b: UInt32 = 0
    for byte in out { a = (a + UInt32(byte)) % 65521; b = (b + a) % 65521 }
    guard PNGReader.bigEndian(stream, p) == (b << 16 | a) else { throw PNGReader.Failure.checksum("adler32") }
    return out
}

struct BitReader {
    let bytes: [UInt8]
    var position: Int
    var bit = 0

    /// `count` bits, least significant first.
    mutating func read(_ count: Int) throws -> Int {
        var value = 0
        for i in 0..<count {
            guard position < bytes.count else { throw PNGReader.Failure.truncated }
            value |= Int((bytes[position] >> UInt8(bit)) & 1) << i
            bit += 1
            if bit == 8 { bit = 0; position += 1 }
        }
        return value
    }

    /// One Huffman bit at a time, most significant first.
    mutating func readCodeBits(_ count: Int, onto code: Int) throws -> Int {
        var c = code
        for _ in 0..<count { c = (c << 1) | (try read(1)) }
        return c
    }

    var alignedByte: Int { bit == 0 ? position : position + 1 }

    mutating func align() { if bit != 0 { bit = 0; position += 1 } }
}

private func inflateStored(_ bits: inout BitReader, into out: inout [UInt8]) throws {
    bits.align()
    let p = bits.position
    guard p + 4 <= bits.bytes.count else { throw PNGReader.Failure.truncated }
    let len = Int(bits.bytes[p]) | Int(bits.bytes[p + 1]) << 8
    let nlen = Int(bits.bytes[p + 2]) | Int(bits.bytes[p + 3]) << 8
    guard len ^ nlen == 0xFFFF, p + 4 + len <= bits.bytes.count else { throw PNGReader.Failure.checksum("LEN/NLEN") }
    out += bits.bytes[(p + 4)..<(p + 4 + len)]
    bits.position = p + 4 + len
}

/// Decodes one fixed-code literal/length symbol (RFC 1951 §3.2.6) by reading 7, then 8, then 9 bits.
private func fixedSymbol(_ bits: inout BitReader) throws -> Int {
    var code = try bits.readCodeBits(7, onto: 0)
    if code <= 0b0010111 { return 256 + code }
    code = try bits.readCodeBits(1, onto: code)
    if (0x30...0xBF).contains(code) { return code - 0x30 }
    if (0xC0...0xC7).contains(code) { return 280 + code - 0xC0 }
    code = try bits.readCodeBits(1, onto: code)
    guard (0x190...0x1FF).contains(code) else { throw PNGReader.Failure.unsupported("code \(code)") }
    return 144 + code - 0x190
}

private let lengthBase = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115,
                          131, 163, 195, 227, 258]
private let distanceBase = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025,
                            1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577]

private func inflateFixed(_ bits: inout BitReader, into out: inout [UInt8]) throws {
    while true {
        let symbol = try fixedSymbol(&bits)
        if symbol < 256 { out.append(UInt8(symbol)); continue }
        if symbol == 256 { return }
        let li = symbol - 257
        guard li < 29 else { throw PNGReader.Failure.unsupported("length symbol \(symbol)") }
        let lengthExtra = (li < 8 || li == 28) ? 0 : (li - 4) / 4
        let length = lengthBase[li] + (try bits.read(lengthExtra))
        let di = try bits.readCodeBits(5, onto: 0)
        guard di < 30 else { throw PNGReader.Failure.unsupported("distance symbol \(di)") }
        let distanceExtra = di < 4 ? 0 : (di - 2) / 2
        let distance = distanceBase[di] + (try bits.read(distanceExtra))
        guard distance <= out.count else { throw PNGReader.Failure.unsupported("distance \(distance) before start") }
        for _ in 0..<length { out.append(out[out.count - distance]) }
    }
}
