import Foundation

/// Encodes images as PNG (8-bit RGB or RGBA, no interlace, filter 0 on every row) and writes them atomically.
public enum PNG {
    /// The 8-byte PNG file signature.
    public static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// The PNG bytes of `image`: signature, IHDR, one IDAT holding the zlib stream of the scanlines, IEND.
    public static func encode(_ image: Image) -> [UInt8] {
        var out = signature
        var header: [UInt8] = []
        header += bigEndian(UInt32(image.width))
        header += bigEndian(UInt32(image.height))
        // bit depth 8; colour type 2 (truecolour) or 6 (truecolour + alpha); deflate; filter method 0; no interlace
        header += [8, image.format == .rgb8 ? 2 : 6, 0, 0, 0]
        appendChunk("IHDR", header, to: &out)
        appendChunk("IDAT", Zlib.compress(scanlines(image)), to: &out)
        appendChunk("IEND", [], to: &out)
        return out
    }

    /// Writes `image` to `url` as PNG: the bytes go to a temporary file in the same directory, which is then
    /// renamed over the destination, so readers never see a partial file.
    public static func write(_ image: Image, to url: URL) throws {
        let bytes = encode(image)
        do {
            try Data(bytes).write(to: url, options: .atomic)
        } catch {
            throw PlotError.writeFailed(path: url.path, reason: error.localizedDescription)
        }
    }

    /// Each row prefixed by filter type 0 (None).
    static func scanlines(_ image: Image) -> [UInt8] {
        let rowBytes = image.width * image.format.channels
        var raw: [UInt8] = []
        raw.reserveCapacity(image.height * (rowBytes + 1))
        for y in 0..<image.height {
            raw.append(0)
            raw += image.pixels[(y * rowBytes)..<((y + 1) * rowBytes)]
        }
        return raw
    }

    /// Length (big-endian), type, data, CRC-32 of type + data.
    static func appendChunk(_ type: String, _ data: [UInt8], to out: inout [UInt8]) {
        let typeBytes = Array(type.utf8)
        precondition(typeBytes.count == 4, "PNG chunk type must be 4 ASCII letters, got '\(type)'")
        out += bigEndian(UInt32(data.count))
        out += typeBytes
        out += data
        out += bigEndian(Zlib.crc32(data, previous: Zlib.crc32(typeBytes)))
    }

    static func bigEndian(_ v: UInt32) -> [UInt8] {
        [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)]
    }
}
