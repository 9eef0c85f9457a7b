import CHDF5
import Foundation

/// A file driver that checks every global heap collection before libhdf5 parses it.
///
/// Variable-length strings (every string attribute and the /videos string datasets) live in global heap
/// collections ("GCOL"). libhdf5 1.10.8 walks a collection's objects trusting their sizes: a free-space object of
/// size 0 makes `H5HG__cache_heap_deserialize` loop for ever (`H5Aread` never returns), and a size that runs past
/// the collection makes it read outside its buffer. No API call reveals where a string attribute's heap object is
/// before reading it, so the check sits where the bytes come in: this driver forwards everything to the default
/// POSIX driver (sec2) through the public `H5FD*` calls and, when a raw-data read (libhdf5 reads global heaps as
/// raw data) starts with a collection header, walks the whole collection the way libhdf5 will and fails the read
/// if the walk would not end inside it. The failure is recorded so that the error thrown says what is damaged.
///
/// A raw-data read of feature or pixel values that happens to begin with the five header bytes "GCOL", 1 is
/// walked too; it is refused only if that walk also fails, which for real values is vanishingly unlikely.
enum GlobalHeapGuard {
    /// A file access property list that opens files through the guarded driver (libhdf5 copies it on use).
    static let fileAccess: hid_t = HDF5Lock.run {
        let fapl = H5Pcreate(swh5_P_FILE_ACCESS())
        H5Pset_driver(fapl, driver, nil)
        return fapl
    }

    /// Why the last refused read was refused; taken (and cleared) by `takeDamage`. Written and read with the
    /// HDF5 lock held (libhdf5 calls the driver only from inside an HDF5 call).
    nonisolated(unsafe) private static var damage: String?

    /// The description of the damaged collection met by the failed HDF5 call, if that is why it failed.
    static func takeDamage() -> String? {
        defer { damage = nil }
        return damage
    }

    static func clearDamage() { damage = nil }

    private static let signature: [UInt8] = Array("GCOL".utf8)
    private static let headerSize = 16  // "GCOL", version, 3 reserved, 8-byte collection size
    /// The largest global heap collection the guard reads whole (256 MiB).
    static let largestCollection: UInt64 = 256 << 20
    private static let objectHeaderSize = 16  // index, reference count, 4 reserved, 8-byte object size

    /// Whether `bytes` begin like a global heap collection of the version libhdf5 1.10 reads.
    static func isCollectionHeader(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count >= headerSize && bytes.prefix(4).elementsEqual(signature) && bytes[4] == 1
    }

    /// The collection size its header claims.
    static func claimedSize(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[8 + $1]) << (8 * UInt64($1)) }
    }

    /// Walks the objects of a whole collection (`bytes` holds exactly the size its header claims) as
    /// `H5HG__cache_heap_deserialize` does, and describes the first object whose size would stop that walk from
    /// advancing or carry it past the end; nil when the walk ends exactly at the end.
    static func problem(inCollection bytes: UnsafeRawBufferPointer, at address: UInt64) -> String? {
        var offset = headerSize
        while offset < bytes.count {
            // A tail too short for an object header is free space, as libhdf5 reads it.
            if bytes.count - offset < objectHeaderSize { return nil }
            let index = Int(bytes[offset]) | Int(bytes[offset + 1]) << 8
            let size = (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[offset + 8 + $1]) << (8 * UInt64($1)) }
            let left = UInt64(bytes.count - offset)
            // Object 0 is free space and its size counts its header; others are a header plus data padded to 8.
            let need: UInt64? =
                index == 0
                ? size
                : size > left ? nil : UInt64(objectHeaderSize) + (size + 7) / 8 * 8
            guard let need, need > 0, need <= left else {
                return "object \(index) at byte \(address + UInt64(offset)) claims \(size) bytes, but its "
                    + "collection (\(bytes.count) bytes from byte \(address)) has \(left) bytes left from there"
            }
            offset += Int(need)
        }
        return nil
    }

    /// The data size of every object (index ≥ 1) of a collection that `problem(inCollection:at:)` accepted.
    static func objectSizes(inCollection bytes: UnsafeRawBufferPointer) -> [Int: UInt64] {
        var sizes: [Int: UInt64] = [:], offset = headerSize
        while bytes.count - offset >= objectHeaderSize {
            let index = Int(bytes[offset]) | Int(bytes[offset + 1]) << 8
            let size = (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[offset + 8 + $1]) << (8 * UInt64($1)) }
            if index == 0 {
                offset += Int(size)
                continue
            }
            if sizes[index] == nil { sizes[index] = size }  // libhdf5 keeps the first of a repeated index
            offset += objectHeaderSize + Int((size + 7) / 8 * 8)
        }
        return sizes
    }

    // MARK: - The driver

    /// The guarded driver's identifier, registered once.
    private static let driver: hid_t = HDF5Lock.run {
        var cls = H5FD_class_t()
        cls.name = UnsafePointer(strdup("mvd_checked_sec2"))
        cls.maxaddr = haddr_t(Int64.max)  // sec2's limit: the largest off_t
        cls.fc_degree = H5F_CLOSE_WEAK
        cls.open = { name, flags, _, maxaddr in GlobalHeapGuard.open(name, flags, maxaddr) }
        cls.close = { file in
            guard let file else { return -1 }
            let status = H5FDclose(inner(file))
            UnsafeMutableRawPointer(file).deallocate()
            return status
        }
        cls.cmp = { a, b in H5FDcmp(inner(UnsafeMutablePointer(mutating: a!)), inner(UnsafeMutablePointer(mutating: b!))) }
        cls.query = { file, flags in
            // Asked without a file, libhdf5 wants the driver's features: those of sec2.
            guard let file else { return H5FDdriver_query(H5FD_sec2_init(), flags) }
            return H5FDquery(inner(UnsafeMutablePointer(mutating: file)), flags) < 0 ? -1 : 0
        }
        cls.get_eoa = { file, type in H5FDget_eoa(inner(UnsafeMutablePointer(mutating: file!)), type) }
        cls.set_eoa = { file, type, address in H5FDset_eoa(inner(file!), type, address) }
        cls.get_eof = { file, type in H5FDget_eof(inner(UnsafeMutablePointer(mutating: file!)), type) }
        cls.get_handle = { file, fapl, handle in H5FDget_vfd_handle(inner(file!), fapl, handle) }
        cls.read = { file, type, dxpl, address, size, buffer in
            GlobalHeapGuard.read(inner(file!), type, dxpl, address, size, buffer!)
        }
        cls.write = { file, type, dxpl, address, size, buffer in
            H5FDwrite(inner(file!), type, dxpl, address, size, buffer)
        }
        cls.flush = { file, dxpl, closing in H5FDflush(inner(file!), dxpl, closing) }
        cls.truncate = { file, dxpl, closing in H5FDtruncate(inner(file!), dxpl, closing) }
        cls.lock = { file, rw in H5FDlock(inner(file!), rw) }
        cls.unlock = { file in H5FDunlock(inner(file!)) }
        // sec2's free-list map (H5FD_FLMAP_DICHOTOMY): raw data and global heap apart from all metadata.
        cls.fl_map = (
            H5FD_MEM_SUPER, H5FD_MEM_SUPER, H5FD_MEM_SUPER, H5FD_MEM_DRAW, H5FD_MEM_DRAW, H5FD_MEM_SUPER,
            H5FD_MEM_SUPER
        )
        return H5FDregister(&cls)
    }

    /// A file access list selecting sec2, for the file this driver wraps.
    private static let sec2Access: hid_t = HDF5Lock.run {
        let fapl = H5Pcreate(swh5_P_FILE_ACCESS())
        H5Pset_fapl_sec2(fapl)
        return fapl
    }

    /// A guarded file is an `H5FD_t` (filled in by libhdf5) followed by the sec2 file it forwards to.
    private static let innerOffset = (MemoryLayout<H5FD_t>.size + 15) / 16 * 16

    private static func inner(_ file: UnsafeMutablePointer<H5FD_t>) -> UnsafeMutablePointer<H5FD_t> {
        UnsafeMutableRawPointer(file).load(fromByteOffset: innerOffset, as: UnsafeMutablePointer<H5FD_t>.self)
    }

    private static func open(
        _ name: UnsafePointer<CChar>?, _ flags: UInt32,
        _ maxaddr: haddr_t
    ) -> UnsafeMutablePointer<H5FD_t>? {
        guard let inner = H5FDopen(name, flags, sec2Access, maxaddr) else { return nil }
        // Close-on-exec at once, before libhdf5 locks the file: a process another thread starts in between would
        // inherit the descriptor, and with it the lock, for as long as it runs ("another process holds it open").
        var handle: UnsafeMutableRawPointer?
        if H5FDget_vfd_handle(inner, swh5_P_DEFAULT(), &handle) >= 0, let fd = handle?.load(as: Int32.self) {
            _ = fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | FD_CLOEXEC)
        }
        let size = innerOffset + MemoryLayout<UnsafeMutablePointer<H5FD_t>>.size
        let file = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
        file.initializeMemory(as: UInt8.self, repeating: 0, count: size)
        file.storeBytes(of: inner, toByteOffset: innerOffset, as: UnsafeMutablePointer<H5FD_t>.self)
        return file.assumingMemoryBound(to: H5FD_t.self)
    }

    private static func read(
        _ file: UnsafeMutablePointer<H5FD_t>, _ type: H5FD_mem_t, _ dxpl: hid_t,
        _ address: haddr_t, _ size: Int, _ buffer: UnsafeMutableRawPointer
    ) -> herr_t {
        guard H5FDread(file, type, dxpl, address, size, buffer) >= 0 else { return -1 }
        let bytes = UnsafeRawBufferPointer(start: buffer, count: size)
        guard type == H5FD_MEM_DRAW, isCollectionHeader(bytes) else { return 0 }
        let claimed = claimedSize(bytes)
        if claimed <= UInt64(size) {
            damage = problem(inCollection: UnsafeRawBufferPointer(rebasing: bytes[..<Int(claimed)]), at: UInt64(address))
        } else {
            // libhdf5 reads a collection in two parts (4 KiB, then the rest): check it whole now.
            let end = H5FDget_eoa(file, type)
            guard end != haddr_t.max, address <= end, claimed <= end - address else {
                damage = "the collection at byte \(address) claims \(claimed) bytes, past the end of the file"
                return -1
            }
            // The claim decides how much memory the check takes. Collections hold strings (paths, reasons, attribute
            // values) and stay far below this; a larger claim in a large file is damage, not a reason to allocate.
            guard claimed <= Self.largestCollection else {
                damage =
                    "the collection at byte \(address) claims \(claimed) bytes, more than the \(Self.largestCollection) a string heap of a feature cache can need"
                return -1
            }
            let whole = UnsafeMutableRawBufferPointer.allocate(byteCount: Int(claimed), alignment: 8)
            defer { whole.deallocate() }
            guard H5FDread(file, type, dxpl, address, Int(claimed), whole.baseAddress!) >= 0 else { return -1 }
            damage = problem(inCollection: UnsafeRawBufferPointer(whole), at: UInt64(address))
        }
        return damage == nil ? 0 : -1
    }
}
