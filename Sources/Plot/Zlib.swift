/// A zlib stream (RFC 1950) around deflate data (RFC 1951), written by this package alone.
///
/// Two encodings are offered: `stored` (uncompressed blocks of at most 65 535 bytes: trivially correct, big)
/// and `fixedHuffman` (LZ77 matches found with a hash of 3-byte prefixes, coded with deflate's fixed
/// Huffman table: charts, being mostly flat colour, shrink by one to two orders of magnitude).
public enum ZlibEncoding: Sendable, Equatable {
    case stored
    case fixedHuffman
}

public enum Zlib {
    /// The zlib stream holding `data`: a 2-byte header, the deflate blocks, the big-endian Adler-32 of `data`.
    public static func compress(_ data: [UInt8], encoding: ZlibEncoding = .fixedHuffman) -> [UInt8] {
        // CMF 0x78: deflate, 32 KiB window. FLG 0x01: no dictionary, level bits 0, and (CMF·256 + FLG) % 31 == 0.
        var out: [UInt8] = [0x78, 0x01]
        switch encoding {
        case .stored: out += storedBlocks(data)
        case .fixedHuffman: out += FixedHuffmanDeflater.deflate(data)
        }
        let adler = Adler32.checksum(data)
        out += [UInt8(adler >> 24), UInt8((adler >> 16) & 0xFF), UInt8((adler >> 8) & 0xFF), UInt8(adler & 0xFF)]
        return out
    }

    /// Deflate stored blocks: per block a header byte (BFINAL in bit 0, BTYPE 00), LEN and its complement NLEN
    /// (both little-endian), then LEN raw bytes. An empty input is one empty final block.
    static func storedBlocks(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(data.count + (data.count / 65_535 + 1) * 5)
        var start = 0
        repeat {
            let length = min(65_535, data.count - start)
            let isFinal = start + length == data.count
            out.append(isFinal ? 1 : 0)
            let len = UInt16(length), nlen = ~len
            out += [UInt8(len & 0xFF), UInt8(len >> 8), UInt8(nlen & 0xFF), UInt8(nlen >> 8)]
            out += data[start..<(start + length)]
            start += length
        } while start < data.count
        return out
    }
}
