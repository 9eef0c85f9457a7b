import CHDF5
import Foundation

extension H5Object {
    /// Throws unless the string attribute `name`, as stored in this object's header on disk, refers to a global heap
    /// object of its own length (see `HeapReferenceCheck`). Called with the HDF5 lock held, before `H5Aread`.
    ///
    /// Object headers of version 1 (what HDF5 writes by default, and this format) are walked, continuation blocks
    /// included. An attribute that is not on disk was created by this process and not yet flushed: it is trusted
    /// in a file open for writing and refused in one open for reading.
    func checkStringAttributeReference(_ name: String) throws {
        var info = H5O_info_t()
        try FeatureStore.check(H5Oget_info2(id, &info, UInt32(1) /* H5O_INFO_BASIC */), "object information of \(path)")
        var check = try HeapReferenceCheck(fileOf: id)
        defer { check.close() }
        let references = try Self.walkHeader(at: UInt64(info.addr), check)
        guard let reference = references[name] else {
            if Self.isWritable(id) { return }
            throw check.damaged("the header of \(path) does not hold the attribute \(name) that libhdf5 reports")
        }
        try check.check(reference, of: "attribute \(name) of \(path)")
    }

    /// Walks the object header of the child `name` of `location` before libhdf5 opens it (see `walkHeader`). In a
    /// file open for writing, objects may exist only in libhdf5's cache, so the walk is done for files open for
    /// reading: a file open for writing is one this tool is writing. Called with the HDF5 lock held.
    static func checkChildHeader(in location: hid_t, _ name: String) throws {
        guard !isWritable(location) else { return }
        var link = H5L_info_t()
        guard H5Lget_info(location, name, &link, swh5_P_DEFAULT()) >= 0, link.type == H5L_TYPE_HARD else { return }
        let check = try HeapReferenceCheck(fileOf: location)
        defer { check.close() }
        _ = try walkHeader(at: UInt64(link.u.address), check)
    }

    private static func isWritable(_ object: hid_t) -> Bool {
        var intent: UInt32 = 0
        let file = H5Iget_file_id(object)
        defer { if file >= 0 { H5Fclose(file) } }
        return file >= 0 && H5Fget_intent(file, &intent) >= 0 && intent & swh5_F_ACC_RDWR() != 0
    }

    /// Walks the version-1 object header at `header`, continuation blocks included, and returns the references of
    /// its variable-length string attributes. Refuses what this format never writes and libhdf5 1.10 mishandles
    /// on damaged files: a message marked shared (libhdf5 then looks for a shared-message table the file does
    /// not have and reads from a null address).
    private static func walkHeader(
        at header: UInt64, _ check: HeapReferenceCheck
    ) throws
        -> [String: HeapReferenceCheck.Reference]
    {
        let prefix = try check.bytes(at: header, count: 16)
        guard prefix[0] == 1 else {
            throw check.damaged(
                "the object header at byte \(header) has version \(prefix[0]); this format writes "
                    + "version 1 headers only (a copy made with h5repack --latest is not read)")
        }
        var chunks = [(address: header + 16, size: Int(prefix.littleEndian(at: 8, count: 4)))]
        var seen = Set<UInt64>(), found: [String: HeapReferenceCheck.Reference] = [:]
        while let chunk = chunks.popLast() {
            guard seen.insert(chunk.address).inserted, seen.count <= 10_000,
                chunk.size <= Int(GlobalHeapGuard.largestCollection)
            else {
                throw check.damaged("the object header at byte \(header) has looping or oversized continuation blocks")
            }
            let bytes = try check.bytes(at: chunk.address, count: chunk.size)
            var at = 0
            while at + 8 <= bytes.count {
                let type = bytes.littleEndian(at: at, count: 2), size = Int(bytes.littleEndian(at: at + 2, count: 2))
                guard at + 8 + size <= bytes.count else {
                    throw check.damaged("a message of the object header at byte \(header) runs past its block")
                }
                let body = bytes[(at + 8)..<(at + 8 + size)]
                if bytes[at + 4] & 0x02 != 0 {
                    throw check.damaged(
                        "message \(type) of the object header at byte \(header) is marked shared, "
                            + "which this format never writes")
                }
                if type == 0x10, size >= 16 {  // continuation: the rest of the messages are elsewhere
                    chunks.append((body.littleEndian(at: 0, count: 8), Int(body.littleEndian(at: 8, count: 8))))
                } else if type == 0x0C, let (name, reference) = try stringAttribute(body, check) {
                    found[name] = reference
                }
                at += 8 + size
            }
        }
        return found
    }

    /// The name and reference of an attribute message holding one variable-length string; nil for other
    /// attributes.
    private static func stringAttribute(
        _ m: ArraySlice<UInt8>, _ check: HeapReferenceCheck
    ) throws
        -> (String, HeapReferenceCheck.Reference)?
    {
        guard m.count >= 8 else { throw check.damaged("an attribute message is \(m.count) bytes long") }
        let version = m[m.startIndex]
        let nameSize = Int(m.littleEndian(at: 2, count: 2)), typeSize = Int(m.littleEndian(at: 4, count: 2))
        let spaceSize = Int(m.littleEndian(at: 6, count: 2))
        let padded = { (n: Int) in version == 1 ? (n + 7) / 8 * 8 : n }
        let nameAt = version >= 3 ? 9 : 8
        let typeAt = nameAt + padded(nameSize), dataAt = typeAt + padded(typeSize) + padded(spaceSize)
        guard (1...3).contains(version), nameSize >= 1, typeSize >= 2, dataAt <= m.count else {
            throw check.damaged("an attribute message (version \(version)) does not fit its \(m.count) bytes")
        }
        let typeClass = m[m.startIndex + typeAt] & 0x0F, vlenKind = m[m.startIndex + typeAt + 1] & 0x0F
        guard typeClass == 9, vlenKind == 1 else { return nil }  // not a variable-length string
        guard m.count - dataAt >= HeapReferenceCheck.referenceSize else {
            throw check.damaged("a string attribute message has no room for its value")
        }
        let nameBytes = m[(m.startIndex + nameAt)..<(m.startIndex + nameAt + nameSize)].prefix { $0 != 0 }
        let name = String(decoding: nameBytes, as: UTF8.self)
        let start = m.startIndex + dataAt
        return (name, HeapReferenceCheck.Reference(m[start..<(start + HeapReferenceCheck.referenceSize)]))
    }
}
