import Foundation

/// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), as zip archives record it.
enum CRC32 {
    private static let table: [UInt32] = (0..<256).map { index -> UInt32 in
        var value = UInt32(index)
        for _ in 0..<8 { value = (value & 1) != 0 ? (0xEDB8_8320 ^ (value >> 1)) : (value >> 1) }
        return value
    }

    /// The checksum of `data`, continuing from `previous` (pass the result back in to checksum in pieces).
    static func checksum<D: DataProtocol>(_ data: D, previous: UInt32 = 0) -> UInt32 {
        var crc = ~previous
        table.withUnsafeBufferPointer { lookup in
            for region in data.regions {
                region.withUnsafeBytes { raw in
                    for byte in raw { crc = lookup[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
                }
            }
        }
        return ~crc
    }
}
