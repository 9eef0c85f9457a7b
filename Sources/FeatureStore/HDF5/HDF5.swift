import CHDF5
import Foundation

/// The one process-wide lock held around every HDF5 call (h5py's `phil`).
///
/// Debian's libhdf5 1.10.8 is built thread-safe, which already serialises calls inside the library; we lock
/// anyway so that multi-call sequences (select a hyperslab, then read) are atomic and so that the code stays
/// correct with a non-thread-safe build. The lock is recursive: helpers may nest.
/// For code that starts child processes in a process that also opens caches.
public enum HDF5Files {
    /// Runs `body` while no HDF5 file can be opened or created in this process. Files are marked close-on-exec
    /// right after they are opened, under the same lock, so a child process started inside `body` inherits none of
    /// their descriptors (an inherited descriptor keeps the file's lock for as long as the child runs).
    public static func whileNoneOpens<T>(_ body: () throws -> T) rethrows -> T { try HDF5Lock.run(body) }
}

enum HDF5Lock {
    private static let lock = NSRecursiveLock()

    /// Runs `body` while holding the HDF5 lock.
    static func run<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        // Error stacks go into FeatureStoreError.hdf5Stack, never to stderr. The setting is per thread in
        // a thread-safe HDF5 build, so it is made on every entry (it costs a pointer store).
        H5Eset_auto2(swh5_E_DEFAULT(), nil, nil)
        return try body()
    }
}

/// Collects the current HDF5 error stack as text lines, innermost frame first, and clears it.
func hdf5ErrorStack() -> [String] {
    final class Lines { var items: [String] = [] }
    let lines = Lines()
    let box = Unmanaged.passRetained(lines)
    defer { box.release() }
    H5Ewalk2(
        swh5_E_DEFAULT(), H5E_WALK_UPWARD,
        { _, desc, data in
            guard let desc = desc, let data = data else { return 0 }
            let sink = Unmanaged<Lines>.fromOpaque(data).takeUnretainedValue()
            let function = desc.pointee.func_name.map { String(cString: $0) } ?? "?"
            let text = desc.pointee.desc.map { String(cString: $0) } ?? ""
            sink.items.append("\(function): \(text)")
            return 0
        }, box.toOpaque())
    H5Eclear2(swh5_E_DEFAULT())
    return lines.items
}

/// Throws a `FeatureStoreError` carrying the HDF5 stack when an `herr_t` result is negative.
@discardableResult
func check(
    _ status: herr_t, _ what: @autoclosure () -> String,
    file: String = #fileID, line: Int = #line
) throws -> herr_t {
    if status < 0 {
        if let damage = heapDamage(what(), file: file, line: line) { throw damage }
        throw FeatureStoreError(
            .hdf5,
            "\(what()) failed; the file may be damaged or the disk full. "
                + "Check free space and permissions, then rerun the same command to resume.",
            hdf5Stack: hdf5ErrorStack(), file: file, line: line)
    }
    return status
}

/// Throws when an identifier-returning HDF5 call failed (negative id), and returns the id otherwise.
func checkID(
    _ id: hid_t, _ what: @autoclosure () -> String,
    file: String = #fileID, line: Int = #line
) throws -> hid_t {
    if id < 0 {
        if let damage = heapDamage(what(), file: file, line: line) { throw damage }
        throw FeatureStoreError(
            .hdf5,
            "\(what()) failed; the file may be damaged or not a feature cache. "
                + "Run `h5dump -H` on it to see what it holds.",
            hdf5Stack: hdf5ErrorStack(), file: file, line: line)
    }
    return id
}

/// The error for an HDF5 call that failed because `GlobalHeapGuard` refused a damaged global heap, if it did.
private func heapDamage(_ what: String, file: String, line: Int) -> FeatureStoreError? {
    guard let damage = GlobalHeapGuard.takeDamage() else { return nil }
    return FeatureStoreError(
        .notACache,
        "\(what) failed: the file is corrupt, its global heap (where strings are "
            + "stored) is damaged: \(damage). Delete the file and run extract-features again to "
            + "recreate it.", hdf5Stack: hdf5ErrorStack(), file: file, line: line)
}

/// An owned HDF5 identifier, closed with the matching `H5?close` when released.
final class H5Handle {
    enum Kind { case file, group, dataset, dataspace, datatype, attribute, propertyList }
    let id: hid_t
    let kind: Kind

    init(_ id: hid_t, _ kind: Kind) {
        self.id = id
        self.kind = kind
    }

    private var isOpen = true

    /// Closes the identifier now; later closes (and the deinit) do nothing.
    func close() {
        HDF5Lock.run {
            guard isOpen else { return }
            isOpen = false
            switch kind {
            case .file: _ = H5Fclose(id)
            case .group: _ = H5Gclose(id)
            case .dataset: _ = H5Dclose(id)
            case .dataspace: _ = H5Sclose(id)
            case .datatype: _ = H5Tclose(id)
            case .attribute: _ = H5Aclose(id)
            case .propertyList: _ = H5Pclose(id)
            }
        }
    }

    deinit { close() }
}

/// HDF5 types that the cache uses, each created once under the lock.
enum H5Types {
    /// IEEE binary16, little-endian, defined by hand: HDF5 1.10.8 has no built-in half type.
    /// Identical to h5py's float16 (h5dump: "16-bit little-endian floating-point").
    static let float16: H5Handle = HDF5Lock.run {
        let t = H5Tcopy(swh5_T_IEEE_F32LE())
        H5Tset_fields(t, 15, 10, 5, 0, 10)  // sign bit 15, exponent bits 10-14, mantissa bits 0-9
        H5Tset_size(t, 2)
        H5Tset_ebias(t, 15)
        return H5Handle(t, .datatype)
    }

    /// Variable-length UTF-8 string, the type of every string dataset and string attribute.
    static let utf8String: H5Handle = HDF5Lock.run {
        let t = H5Tcopy(swh5_T_C_S1())
        H5Tset_size(t, swh5_T_VARIABLE())
        H5Tset_cset(t, H5T_CSET_UTF8)
        H5Tset_strpad(t, H5T_STR_NULLTERM)
        return H5Handle(t, .datatype)
    }
}
