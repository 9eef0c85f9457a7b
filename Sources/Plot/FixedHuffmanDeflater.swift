/// Deflate (RFC 1951) with one fixed-Huffman block and greedy LZ77 matching.
///
/// Matches are found through a hash of the next 3 bytes: `head` holds the latest position of each hash and
/// `previous` chains earlier positions inside the 32 KiB window. The search follows at most `maxChain`
/// links and keeps the longest match (the earliest on ties), so the output depends only on the input.
enum FixedHuffmanDeflater {
    static let windowSize = 32_768
    static let minMatch = 3
    static let maxMatch = 258
    static let maxChain = 48
    static let hashBits = 15

    /// Base lengths of length symbols 257…285 and their extra-bit counts (RFC 1951 §3.2.5).
    static let lengthBase: [Int] = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59,
                                    67, 83, 99, 115, 131, 163, 195, 227, 258]
    static let lengthExtra: [Int] = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4,
                                     5, 5, 5, 5, 0]
    /// Base distances of distance symbols 0…29 and their extra-bit counts.
    static let distanceBase: [Int] = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513,
                                      769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577]
    static let distanceExtra: [Int] = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10,
                                       11, 11, 12, 12, 13, 13]

    /// The fixed literal/length code of `symbol` (0…287) as (code, bit length), code MSB first.
    static func literalCode(_ symbol: Int) -> (code: UInt32, length: Int) {
        switch symbol {
        case 0...143: return (UInt32(0x30 + symbol), 8)
        case 144...255: return (UInt32(0x190 + symbol - 144), 9)
        case 256...279: return (UInt32(symbol - 256), 7)
        default: return (UInt32(0xC0 + symbol - 280), 8)
        }
    }

    static func deflate(_ data: [UInt8]) -> [UInt8] {
        var bits = BitWriter()
        bits.write(1, count: 1)  // BFINAL: this is the only block
        bits.write(1, count: 2)  // BTYPE 01: fixed Huffman codes
        var matcher = MatchFinder(data: data)
        var position = 0
        while position < data.count {
            let (length, distance) = matcher.longestMatch(at: position)
            if length >= minMatch {
                writeMatch(length: length, distance: distance, into: &bits)
                for p in position..<(position + length) { matcher.insert(p) }
                position += length
            } else {
                writeSymbol(Int(data[position]), into: &bits)
                matcher.insert(position)
                position += 1
            }
        }
        writeSymbol(256, into: &bits)  // end of block
        return bits.finish()
    }

    static func writeSymbol(_ symbol: Int, into bits: inout BitWriter) {
        let (code, length) = literalCode(symbol)
        bits.writeHuffman(code, length: length)
    }

    static func writeMatch(length: Int, distance: Int, into bits: inout BitWriter) {
        var li = lengthBase.count - 1
        while lengthBase[li] > length { li -= 1 }
        writeSymbol(257 + li, into: &bits)
        bits.write(UInt32(length - lengthBase[li]), count: lengthExtra[li])
        var di = distanceBase.count - 1
        while distanceBase[di] > distance { di -= 1 }
        bits.writeHuffman(UInt32(di), length: 5)
        bits.write(UInt32(distance - distanceBase[di]), count: distanceExtra[di])
    }
}

/// Hash chains over 3-byte prefixes for LZ77 match search.
struct MatchFinder {
    let data: [UInt8]
    var head: [Int]
    var previous: [Int]

    init(data: [UInt8]) {
        self.data = data
        head = [Int](repeating: -1, count: 1 << FixedHuffmanDeflater.hashBits)
        previous = [Int](repeating: -1, count: FixedHuffmanDeflater.windowSize)
    }

    private func hash(_ p: Int) -> Int {
        let v = (Int(data[p]) << 16) | (Int(data[p + 1]) << 8) | Int(data[p + 2])
        return ((v &* 2_654_435_761) >> 13) & ((1 << FixedHuffmanDeflater.hashBits) - 1)
    }

    /// Records that a match may start at `p`.
    mutating func insert(_ p: Int) {
        guard p + 2 < data.count else { return }
        let h = hash(p)
        previous[p % FixedHuffmanDeflater.windowSize] = head[h]
        head[h] = p
    }

    /// The longest earlier match for the bytes at `p`: (length, distance), length 0 when none.
    func longestMatch(at p: Int) -> (Int, Int) {
        guard p + 2 < data.count else { return (0, 0) }
        let limit = min(FixedHuffmanDeflater.maxMatch, data.count - p)
        var candidate = head[hash(p)]
        var best = (0, 0), steps = 0
        while candidate >= 0, p - candidate <= FixedHuffmanDeflater.windowSize, steps < FixedHuffmanDeflater.maxChain {
            var n = 0
            while n < limit, data[candidate + n] == data[p + n] { n += 1 }
            if n > best.0 { best = (n, p - candidate) }
            if n == limit { break }
            let next = previous[candidate % FixedHuffmanDeflater.windowSize]
            guard next < candidate else { break }  // a slot overwritten by a newer position ends the chain
            candidate = next
            steps += 1
        }
        return best
    }
}

/// Packs bits least-significant first, as deflate requires.
struct BitWriter {
    private(set) var bytes: [UInt8] = []
    private var buffer: UInt64 = 0
    private var used = 0

    /// Writes the low `count` bits of `value`, least significant first (extra bits, header fields).
    mutating func write(_ value: UInt32, count: Int) {
        guard count > 0 else { return }
        buffer |= UInt64(value & UInt32((1 << UInt64(count)) - 1)) << UInt64(used)
        used += count
        while used >= 8 {
            bytes.append(UInt8(buffer & 0xFF))
            buffer >>= 8
            used -= 8
        }
    }

    /// Writes a Huffman code, whose bits are defined most significant first.
    mutating func writeHuffman(_ code: UInt32, length: Int) {
        var reversed: UInt32 = 0
        for i in 0..<length where (code >> UInt32(i)) & 1 != 0 { reversed |= 1 << UInt32(length - 1 - i) }
        write(reversed, count: length)
    }

    /// The bytes written, the last one padded with zero bits.
    mutating func finish() -> [UInt8] {
        if used > 0 { bytes.append(UInt8(buffer & 0xFF)); buffer = 0; used = 0 }
        return bytes
    }
}
