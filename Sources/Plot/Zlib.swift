import CZlib

/// zlib (RFC 1950 around RFC 1951 deflate) from the system library: charts, being mostly flat colour, shrink by one
/// to two orders of magnitude, and a maintained deflater cannot drift from what every PNG reader inflates.
public enum Zlib {
    /// The zlib stream holding `data`, at zlib's best compression (charts are small; the time is negligible).
    public static func compress(_ data: [UInt8]) -> [UInt8] {
        var capacity = compressBound(uLong(data.count))
        var out = [UInt8](repeating: 0, count: Int(capacity))
        let status = data.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { destination in
                compress2(destination.baseAddress, &capacity, source.baseAddress, uLong(source.count), Z_BEST_COMPRESSION)
            }
        }
        // compressBound is the documented worst case, and the level is a valid constant, so only memory exhaustion
        // could fail here, which Swift treats as fatal everywhere else too.
        precondition(status == Z_OK, "zlib compress2 failed with status \(status)")
        out.removeSubrange(Int(capacity)...)
        return out
    }

    /// CRC-32 (ISO 3309, reflected polynomial 0xEDB88320) of `bytes`, continuing from `previous`.
    public static func crc32(_ bytes: [UInt8], previous: UInt32 = 0) -> UInt32 {
        bytes.withUnsafeBufferPointer { UInt32(crc32_z(uLong(previous), $0.baseAddress, $0.count)) }
    }
}
