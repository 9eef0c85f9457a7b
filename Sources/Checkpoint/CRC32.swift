import CZlib
import Foundation

/// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), as zip archives record it, computed by zlib (whose
/// word-at-a-time loop verifies a multi-gigabyte checkpoint several times faster than a byte table does).
enum CRC32 {
    /// The checksum of `data`, continuing from `previous` (pass the result back in to checksum in pieces).
    static func checksum<D: DataProtocol>(_ data: D, previous: UInt32 = 0) -> UInt32 {
        var crc = uLong(previous)
        for region in data.regions {
            region.withUnsafeBytes { raw in
                crc = crc32_z(crc, raw.bindMemory(to: Bytef.self).baseAddress, raw.count)
            }
        }
        return UInt32(crc)
    }
}
