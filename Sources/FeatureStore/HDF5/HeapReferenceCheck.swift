import CHDF5
import Foundation

/// Checks variable-length string references against the global heap collections they point into, reading the
/// file's bytes directly.
///
/// A stored variable-length string is a 16-byte reference: its length, the address of a global heap collection
/// and the index of an object in it. libhdf5 1.10 follows a reference without checking it: an index the collection
/// does not hold makes it copy from a null pointer, and an object longer than the reference's length overflows
/// the buffer it allocated from that length. `GlobalHeapGuard` vets collections as libhdf5 reads them, but not the
/// references, which live in a dataset's raw bytes or in an attribute message of an object header; so before
/// libhdf5 reads strings, their references are checked here: each must name an object of exactly its length.
struct HeapReferenceCheck {
    private let file: FileHandle
    private let size: UInt64
    private let path: String
    private var collections: [UInt64: [Int: UInt64]] = [:]

    /// A stored reference.
    struct Reference {
        var length: UInt64, address: UInt64, index: Int

        init(_ bytes: ArraySlice<UInt8>) {
            length = bytes.littleEndian(at: 0, count: 4)
            address = bytes.littleEndian(at: 4, count: 8)
            index = Int(bytes.littleEndian(at: 12, count: 4))
        }
    }

    static let referenceSize = 16

    /// Opens the file that `object` (any HDF5 identifier in it) lives in.
    init(fileOf object: hid_t) throws {
        let length = H5Fget_name(object, nil, 0)
        var buffer = [CChar](repeating: 0, count: max(0, Int(length)) + 1)
        guard length > 0, H5Fget_name(object, &buffer, buffer.count) == length else {
            throw FeatureStoreError(.hdf5, "cannot get the file name of an open HDF5 object")
        }
        path = String(cString: buffer)
        guard let file = FileHandle(forReadingAtPath: path) else {
            throw FeatureStoreError(.io, "cannot open \(path) to check its strings")
        }
        self.file = file
        size = (try? file.seekToEnd()) ?? 0
    }

    func close() { try? file.close() }

    func damaged(_ what: String) -> FeatureStoreError {
        FeatureStoreError(
            .notACache,
            "reading strings of \(path) failed: the file is corrupt: \(what). Delete the "
                + "file and run extract-features again to recreate it.")
    }

    /// The error `GlobalHeapGuard` gives for a collection whose walk fails, in the same words.
    private func heapDamaged(_ problem: String) -> FeatureStoreError {
        FeatureStoreError(
            .notACache,
            "reading strings of \(path) failed: the file is corrupt, its global heap (where "
                + "strings are stored) is damaged: \(problem). Delete the file and run extract-features "
                + "again to recreate it.")
    }

    /// `count` bytes at `address`, refused when they are not all in the file.
    func bytes(at address: UInt64, count: Int) throws -> [UInt8] {
        guard address <= size, UInt64(count) <= size - address else {
            throw damaged("bytes \(address)..<\(address + UInt64(count)) are past the end of the file (\(size) bytes)")
        }
        try file.seek(toOffset: address)
        let data = try file.read(upToCount: count) ?? Data()
        guard data.count == count else { throw damaged("the file ended while reading byte \(address)") }
        return [UInt8](data)
    }

    /// Throws unless `reference` is null or names an object of exactly its length; `what` says whose it is.
    mutating func check(_ reference: Reference, of what: @autoclosure () -> String) throws {
        guard reference.address != 0 else { return }  // a null reference reads as an empty string
        let address = reference.address
        if collections[address] == nil {
            let header = try bytes(at: address, count: 16)
            let claimed: UInt64 = header.withUnsafeBytes { h in
                GlobalHeapGuard.isCollectionHeader(h) ? GlobalHeapGuard.claimedSize(h) : 0
            }
            guard claimed >= 16, claimed <= GlobalHeapGuard.largestCollection else {
                throw damaged("\(what())'s string points at byte \(address), which holds no global heap collection")
            }
            let whole = try bytes(at: address, count: Int(claimed))
            collections[address] = try whole.withUnsafeBytes { b in
                if let problem = GlobalHeapGuard.problem(inCollection: b, at: address) { throw heapDamaged(problem) }
                return GlobalHeapGuard.objectSizes(inCollection: b)
            }
        }
        let stored = collections[address]?[reference.index]
        guard reference.index > 0, stored == reference.length else {
            throw damaged(
                "\(what())'s string refers to object \(reference.index) of the global heap collection at "
                    + "byte \(address) with \(reference.length) bytes, but that collection "
                    + (stored.map { "holds \($0) bytes there" } ?? "has no such object"))
        }
    }
}

extension ArraySlice where Element == UInt8 {
    /// The little-endian unsigned integer of `count` bytes at `offset` from the slice's start.
    func littleEndian(at offset: Int, count: Int) -> UInt64 {
        (0..<count).reduce(UInt64(0)) { $0 | UInt64(self[startIndex + offset + $1]) << (8 * UInt64($1)) }
    }
}

extension Array where Element == UInt8 {
    func littleEndian(at offset: Int, count: Int) -> UInt64 { self[...].littleEndian(at: offset, count: count) }
}
