import CHDF5
import Foundation

/// An open HDF5 file or group: attributes, child groups and child datasets.
final class H5Object {
    let handle: H5Handle
    let path: String
    /// Keeps the file open as long as any group of it is in use.
    private let parent: H5Object?

    init(handle: H5Handle, path: String, parent: H5Object? = nil) {
        self.handle = handle
        self.path = path
        self.parent = parent
    }

    var id: hid_t { handle.id }

    /// Creates a file, failing if it exists. Uses the oldest file format (superblock 0), which has no
    /// "file is open for writing" flag, so a writer killed with SIGKILL leaves a file that opens normally.
    static func createFile(at url: URL) throws -> H5Object {
        try HDF5Lock.run {
            let id = H5Fcreate(url.path, swh5_F_ACC_EXCL(), swh5_P_DEFAULT(), GlobalHeapGuard.fileAccess)
            if id < 0 {
                throw FeatureStoreError(
                    .cannotOpen,
                    "cannot create \(url.path); check that the folder exists "
                        + "and is writable, and that no stale file of that name is left.",
                    hdf5Stack: hdf5ErrorStack())
            }
            closeOnExec(id)
            return H5Object(handle: H5Handle(id, .file), path: "/")
        }
    }

    /// Opens an existing file for reading, or for reading and writing.
    static func openFile(at url: URL, writable: Bool) throws -> H5Object {
        try HDF5Lock.run {
            var info = stat()
            guard stat(url.path, &info) == 0 else {
                throw FeatureStoreError(
                    .cannotOpen,
                    "no file at \(url.path); check the path, or run "
                        + "extract-features to create the cache.")
            }
            // HDF5 would block for ever reading a FIFO or a character device, and fails obscurely on a folder.
            guard info.st_mode & S_IFMT == S_IFREG else {
                throw FeatureStoreError(
                    .cannotOpen,
                    "\(url.path) is \(fileKind(info.st_mode)), not a regular file; "
                        + "pass the .h5 cache file that extract-features wrote.")
            }
            let flags = writable ? swh5_F_ACC_RDWR() : swh5_F_ACC_RDONLY()
            GlobalHeapGuard.clearDamage()
            let id = H5Fopen(url.path, flags, GlobalHeapGuard.fileAccess)
            if id < 0 {
                if let damage = GlobalHeapGuard.takeDamage() {
                    throw FeatureStoreError(
                        .notACache,
                        "\(url.path) is corrupt: its global heap (where strings are stored) is damaged: \(damage). Delete the file and run extract-features again to recreate it.",
                        hdf5Stack: hdf5ErrorStack())
                }
                // The guarded driver's inner calls clear HDF5's error stack, which loses the reason (a lock held by
                // another process, a missing signature). Opening fails before any global heap is read, so the same
                // open through the plain driver is safe and reports why.
                H5Eclear2(swh5_E_DEFAULT())
                let plain = H5Fopen(url.path, flags, swh5_P_DEFAULT())
                let failure = openFailure(url, writable: writable)
                if plain >= 0 { H5Fclose(plain) }
                throw failure
            }
            closeOnExec(id)
            return H5Object(handle: H5Handle(id, .file), path: "/")
        }
    }

    /// Why `H5Fopen` refused `url`: a lock held by another process, or a file that is not (or no longer) a
    /// readable HDF5 file. Call with the HDF5 lock held, right after the failed open.
    private static func openFailure(_ url: URL, writable: Bool) -> FeatureStoreError {
        let stack = hdf5ErrorStack()
        if stack.contains(where: { $0.localizedCaseInsensitiveContains("unable to lock file") }) {
            // HDF5 locks shared for reading and exclusive for writing: a reader is refused only by a writer, but a
            // writer also by any reader (distill training from the cache, mvd inspect).
            let holder =
                writable
                ? "another process holds it open (a reader such as distill or mvd inspect, or a writer)"
                : "another process (a writer) holds it open"
            return FeatureStoreError(
                .cannotOpen,
                "cannot open \(url.path): \(holder). Wait for that process to finish, or stop it, then retry.",
                hdf5Stack: stack)
        }
        let signature = H5Fis_hdf5(url.path)
        H5Eclear2(swh5_E_DEFAULT())
        let what =
            signature > 0
            ? "is an HDF5 file that cannot be read (truncated or corrupt: \(stack.first ?? "no detail"))"
            : "is not an HDF5 file (no HDF5 signature; empty, truncated or another kind of file)"
        return FeatureStoreError(
            .cannotOpen,
            "\(url.path) \(what); delete it and run extract-features again, or "
                + "pass the right file.", hdf5Stack: stack)
    }

    /// Marks the file's descriptor close-on-exec, so that a child process started while the cache is open
    /// (a decoder, a test's writer) does not inherit it and with it HDF5's lock on the file.
    private static func closeOnExec(_ file: hid_t) {
        var handle: UnsafeMutableRawPointer?
        guard H5Fget_vfd_handle(file, swh5_P_DEFAULT(), &handle) >= 0, let fd = handle?.load(as: Int32.self) else { return }
        _ = fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | FD_CLOEXEC)
    }

    /// Flushes HDF5's buffers for the whole file to the operating system.
    func flush() throws {
        _ = try HDF5Lock.run { try check(H5Fflush(id, H5F_SCOPE_GLOBAL), "flushing \(path)") }
    }

    func exists(_ name: String) -> Bool {
        HDF5Lock.run { H5Lexists(id, name, swh5_P_DEFAULT()) > 0 }
    }

    func createGroup(_ name: String) throws -> H5Object {
        try HDF5Lock.run {
            let gcpl = H5Handle(try checkID(H5Pcreate(swh5_P_GROUP_CREATE()), "H5Pcreate"), .propertyList)
            try check(H5Pset_obj_track_times(gcpl.id, false), "timestamps of group \(name)")
            let gid = try checkID(
                H5Gcreate2(id, name, swh5_P_DEFAULT(), gcpl.id, swh5_P_DEFAULT()),
                "creating group \(name)")
            return H5Object(handle: H5Handle(gid, .group), path: childPath(name), parent: self)
        }
    }

    func openGroup(_ name: String) throws -> H5Object {
        try HDF5Lock.run {
            guard exists(name) else {
                throw FeatureStoreError(
                    .notACache,
                    "group \(childPath(name)) is missing; the file is not a "
                        + "feature cache (docs/cache-format.md). Recreate it with extract-features.")
            }
            try Self.checkChildHeader(in: id, name)
            let gid = try checkID(H5Gopen2(id, name, swh5_P_DEFAULT()), "opening group \(name)")
            return H5Object(handle: H5Handle(gid, .group), path: childPath(name), parent: self)
        }
    }

    /// Names of the links directly under this group, in name order.
    func childNames() throws -> [String] {
        try HDF5Lock.run {
            var info = H5G_info_t()
            try check(H5Gget_info(id, &info), "listing \(path)")
            return try (0..<info.nlinks).map { index in
                let size = H5Lget_name_by_idx(id, ".", H5_INDEX_NAME, H5_ITER_INC, index, nil, 0, swh5_P_DEFAULT())
                guard size >= 0 else { throw FeatureStoreError(.hdf5, "cannot list \(path)", hdf5Stack: hdf5ErrorStack()) }
                var buffer = [CChar](repeating: 0, count: Int(size) + 1)
                H5Lget_name_by_idx(id, ".", H5_INDEX_NAME, H5_ITER_INC, index, &buffer, buffer.count, swh5_P_DEFAULT())
                return String(cString: buffer)
            }
        }
    }

    func createDataset(
        _ name: String, type: hid_t, dims: [Int], chunk: [Int]? = nil,
        fillNever: Bool = false
    ) throws -> H5Dataset {
        try H5Dataset.create(in: id, name, type: type, dims: dims, chunk: chunk, fillNever: fillNever)
    }

    func openDataset(_ name: String) throws -> H5Dataset { try H5Dataset.open(in: id, name, path: childPath(name)) }

    private func childPath(_ name: String) -> String { path == "/" ? "/\(name)" : "\(path)/\(name)" }
}

// MARK: - Attributes (scalar int64 and variable-length UTF-8 strings)

extension H5Object {
    func setAttribute(_ name: String, _ value: String) throws {
        try HDF5Lock.run {
            let space = H5Handle(try checkID(H5Screate(H5S_SCALAR), "scalar space"), .dataspace)
            let attr = H5Handle(
                try checkID(
                    H5Acreate2(
                        id, name, H5Types.utf8String.id, space.id,
                        swh5_P_DEFAULT(), swh5_P_DEFAULT()),
                    "creating attribute \(name) on \(path)"), .attribute)
            let pointer = strdup(value)
            defer { free(pointer) }
            var pointers = [pointer]
            try check(H5Awrite(attr.id, H5Types.utf8String.id, &pointers), "writing attribute \(name)")
        }
    }

    func setAttribute(_ name: String, _ value: Int) throws {
        try HDF5Lock.run {
            let space = H5Handle(try checkID(H5Screate(H5S_SCALAR), "scalar space"), .dataspace)
            let attr = try createInt64Attribute(name, space: space)
            var number = Int64(value)
            try check(H5Awrite(attr.id, Int64.h5MemoryType, &number), "writing attribute \(name)")
        }
    }

    /// A new little-endian int64 attribute `name` of shape `space`. Call with the HDF5 lock held.
    private func createInt64Attribute(_ name: String, space: H5Handle) throws -> H5Handle {
        H5Handle(
            try checkID(
                H5Acreate2(id, name, swh5_T_STD_I64LE(), space.id, swh5_P_DEFAULT(), swh5_P_DEFAULT()),
                "creating attribute \(name) on \(path)"), .attribute)
    }

    /// Writes `values` as a one-dimensional int64 attribute (readers take only scalar attributes; this exists so
    /// that a damaged file can be made on purpose).
    func setAttribute(_ name: String, _ values: [Int]) throws {
        try HDF5Lock.run {
            let space = H5Handle(try checkID(H5Screate_simple(1, [hsize_t(values.count)], nil), "array space"), .dataspace)
            let attr = try createInt64Attribute(name, space: space)
            let numbers = values.map(Int64.init)
            try check(H5Awrite(attr.id, Int64.h5MemoryType, numbers), "writing attribute \(name)")
        }
    }

    /// Deletes attribute `name`, so that it can be written again with another value or type.
    func removeAttribute(_ name: String) throws {
        _ = try HDF5Lock.run { try check(H5Adelete(id, name), "deleting attribute \(name) of \(path)") }
    }

    /// Unlinks the child `name` (a group or dataset), so that it can be created again with another shape or type.
    func removeChild(_ name: String) throws {
        _ = try HDF5Lock.run { try check(H5Ldelete(id, name, swh5_P_DEFAULT()), "deleting \(childPath(name))") }
    }

    func hasAttribute(_ name: String) -> Bool { HDF5Lock.run { H5Aexists(id, name) > 0 } }

    func stringAttribute(_ name: String) throws -> String {
        try HDF5Lock.run {
            let attr = try openAttribute(name)
            try checkStringAttributeReference(name)
            var pointers: [UnsafeMutablePointer<CChar>?] = [nil]
            try check(H5Aread(attr.id, H5Types.utf8String.id, &pointers), "reading attribute \(name) of \(path)")
            defer { free(pointers[0]) }
            return pointers[0].map { String(cString: $0) } ?? ""
        }
    }

    func intAttribute(_ name: String) throws -> Int {
        try HDF5Lock.run {
            let attr = try openAttribute(name)
            var number: Int64 = 0
            try check(H5Aread(attr.id, Int64.h5MemoryType, &number), "reading attribute \(name) of \(path)")
            return Int(number)
        }
    }

    private func openAttribute(_ name: String) throws -> H5Handle {
        guard hasAttribute(name) else {
            throw FeatureStoreError(
                .notACache,
                "attribute \(name) of \(path) is missing; the file is not a "
                    + "feature cache (docs/cache-format.md). Recreate it with extract-features.")
        }
        let attr = H5Handle(try checkID(H5Aopen(id, name, swh5_P_DEFAULT()), "opening attribute \(name)"), .attribute)
        // H5Aread fills one value per element: an array attribute would overrun the single value read here.
        let space = H5Handle(try checkID(H5Aget_space(attr.id), "dataspace of attribute \(name)"), .dataspace)
        let count = H5Sget_simple_extent_npoints(space.id)
        guard count == 1 else {
            throw FeatureStoreError(
                .notACache,
                "attribute \(name) of \(path) holds \(count) values, not one; the "
                    + "file is damaged or not a feature cache (docs/cache-format.md). Recreate it with "
                    + "extract-features.")
        }
        return attr
    }
}

/// "a FIFO", "a directory"…: what a path that is not a regular file is, for error messages.
private func fileKind(_ mode: mode_t) -> String {
    switch mode & S_IFMT {
    case S_IFDIR: return "a directory"
    case S_IFIFO: return "a FIFO (named pipe)"
    case S_IFCHR: return "a character device"
    case S_IFBLK: return "a block device"
    case S_IFSOCK: return "a socket"
    default: return "a special file"
    }
}
