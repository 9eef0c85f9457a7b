import CHDF5
import Foundation

/// A fixed-size HDF5 dataset read and written in whole rows (a row is one index of the first dimension).
///
/// Every call takes the HDF5 lock. Datasets are created with all storage allocated at creation
/// (`H5D_ALLOC_TIME_EARLY`), so writing a row later changes raw bytes only, never the file's metadata;
/// the crash-safety design in `FeatureStoreWriter` rests on this.
final class H5Dataset {
    let handle: H5Handle
    let name: String
    /// The dataset's shape, first dimension = rows.
    let dims: [Int]
    /// Elements in one row (product of dims after the first).
    var rowElements: Int { dims.dropFirst().reduce(1, *) }
    var rows: Int { dims.first ?? 0 }
    /// What the file stores per element, as HDF5 describes it.
    let storedType: StoredType

    private init(handle: H5Handle, name: String, dims: [Int], storedType: StoredType) {
        self.handle = handle
        self.name = name
        self.dims = dims
        self.storedType = storedType
    }

    /// Creates `name` under `location` with file type `type`, shape `dims`, optional chunk shape and early
    /// allocation. `fillNever` skips writing fill values (for big feature and pixel datasets whose every row
    /// is written before it is marked done); otherwise the fill value 0 is written at creation.
    static func create(
        in location: hid_t, _ name: String, type: hid_t, dims: [Int],
        chunk: [Int]? = nil, fillNever: Bool = false
    ) throws -> H5Dataset {
        try HDF5Lock.run {
            let shape = dims.map { hsize_t($0) }
            let space = H5Handle(
                try checkID(
                    H5Screate_simple(Int32(dims.count), shape, nil),
                    "creating the dataspace of \(name)"), .dataspace)
            let dcpl = H5Handle(try checkID(H5Pcreate(swh5_P_DATASET_CREATE()), "H5Pcreate"), .propertyList)
            if let chunk = chunk {
                try check(H5Pset_chunk(dcpl.id, Int32(chunk.count), chunk.map { hsize_t($0) }), "chunking \(name)")
            }
            try check(H5Pset_alloc_time(dcpl.id, H5D_ALLOC_TIME_EARLY), "allocation time of \(name)")
            try check(
                H5Pset_fill_time(dcpl.id, fillNever ? H5D_FILL_TIME_NEVER : H5D_FILL_TIME_ALLOC),
                "fill time of \(name)")
            try check(H5Pset_obj_track_times(dcpl.id, false), "timestamps of \(name)")
            let id = try checkID(
                H5Dcreate2(
                    location, name, type, space.id, swh5_P_DEFAULT(), dcpl.id,
                    swh5_P_DEFAULT()), "creating dataset \(name)")
            return H5Dataset(
                handle: H5Handle(id, .dataset), name: name, dims: dims,
                storedType: try StoredType(type, name))
        }
    }

    /// Opens an existing dataset; throws `notACache` naming it when it is absent. `path` (the full path in the
    /// file) names it in messages.
    static func open(in location: hid_t, _ name: String, path: String) throws -> H5Dataset {
        try HDF5Lock.run {
            guard H5Lexists(location, name, swh5_P_DEFAULT()) > 0 else {
                throw FeatureStoreError(
                    .notACache,
                    "dataset \(path) is missing; the file is not a complete "
                        + "feature cache (docs/cache-format.md). Recreate it with extract-features.")
            }
            try H5Object.checkChildHeader(in: location, name)
            let id = try checkID(H5Dopen2(location, name, swh5_P_DEFAULT()), "opening dataset \(name)")
            let handle = H5Handle(id, .dataset)
            let space = H5Handle(try checkID(H5Dget_space(id), "dataspace of \(name)"), .dataspace)
            let rank = Int(H5Sget_simple_extent_ndims(space.id))
            guard rank >= 0, rank <= 32 else {  // H5S_MAX_RANK
                throw FeatureStoreError(
                    .notACache,
                    "dataset \(path) has an unreadable dataspace (rank \(rank)); "
                        + "the file is damaged. Recreate it with extract-features.",
                    hdf5Stack: hdf5ErrorStack())
            }
            var shape = [hsize_t](repeating: 0, count: max(rank, 1))
            try check(H5Sget_simple_extent_dims(space.id, &shape, nil), "shape of \(name)")
            // A damaged file can claim any extent: refuse one whose size in bytes does not fit an Int, since
            // every later size computation (rowElements, buffer sizes) multiplies these.
            let dims = shape.prefix(rank).compactMap { Int(exactly: $0) }
            var bytes = 16, overflow = dims.count != rank  // 16: the widest element a cache stores or reads
            for d in dims where !overflow { (bytes, overflow) = bytes.multipliedReportingOverflow(by: d) }
            guard !overflow else {
                throw FeatureStoreError(
                    .notACache,
                    "dataset \(path) claims the extent \(shape.prefix(rank).map { $0 }), "
                        + "more elements than any cache holds; the file is damaged. Recreate it "
                        + "with extract-features.")
            }
            let type = H5Handle(try checkID(H5Dget_type(id), "type of \(name)"), .datatype)
            return H5Dataset(handle: handle, name: path, dims: dims, storedType: try StoredType(type.id, path))
        }
    }

    /// The dataset's file type (caller closes through the returned handle).
    func fileType() throws -> H5Handle {
        try HDF5Lock.run { H5Handle(try checkID(H5Dget_type(handle.id), "type of \(name)"), .datatype) }
    }

    /// Writes `rows` from `buffer` (row-major, `rows.count * rowElements` elements of memory type `memType`).
    func write(rows range: Range<Int>, memType: hid_t, from buffer: UnsafeRawPointer) throws {
        try HDF5Lock.run {
            let (memory, file) = try selection(range)
            try check(
                H5Dwrite(handle.id, memType, memory.id, file.id, swh5_P_DEFAULT(), buffer),
                "writing rows \(range) of \(name)")
        }
    }

    /// Reads `rows` into `buffer`, which must hold `rows.count * rowElements` elements of `memType`.
    func read(rows range: Range<Int>, memType: hid_t, into buffer: UnsafeMutableRawPointer) throws {
        try HDF5Lock.run {
            let (memory, file) = try selection(range)
            try check(
                H5Dread(handle.id, memType, memory.id, file.id, swh5_P_DEFAULT(), buffer),
                "reading rows \(range) of \(name)")
        }
    }

    /// Memory and file dataspaces selecting `range` of the first dimension.
    private func selection(_ range: Range<Int>) throws -> (H5Handle, H5Handle) {
        guard range.lowerBound >= 0, range.upperBound <= rows, !range.isEmpty else {
            throw FeatureStoreError(
                .invalidArgument,
                "rows \(range) are outside \(name) (\(rows) rows); "
                    + "pass row indices in 0..<\(rows).")
        }
        var count = dims.map { hsize_t($0) }
        count[0] = hsize_t(range.count)
        var start = [hsize_t](repeating: 0, count: dims.count)
        start[0] = hsize_t(range.lowerBound)
        let file = H5Handle(try checkID(H5Dget_space(handle.id), "dataspace of \(name)"), .dataspace)
        try check(H5Sselect_hyperslab(file.id, H5S_SELECT_SET, start, nil, count, nil), "selecting rows of \(name)")
        let memory = H5Handle(
            try checkID(H5Screate_simple(Int32(dims.count), count, nil), "memory space"),
            .dataspace)
        return (memory, file)
    }
}

/// The class and size of a dataset's file type: what a reader compares with the memory type it reads into.
struct StoredType: Equatable, CustomStringConvertible {
    enum Kind: String, Equatable { case integer, float, variableString = "variable-length string", other }
    let kind: Kind
    /// Bytes per element in the file (a pointer-sized handle for variable-length strings).
    let size: Int
    /// Two's complement integer (int8 features must not be read from a uint8 dataset); false for other kinds.
    let signed: Bool

    init(kind: Kind, size: Int, signed: Bool = false) {
        self.kind = kind
        self.size = size
        self.signed = signed
    }

    /// Reads the description of `type` (a datatype identifier). Call with the HDF5 lock held.
    init(_ type: hid_t, _ name: String) throws {
        let typeClass = H5Tget_class(type)
        let size = H5Tget_size(type)
        guard typeClass != H5T_NO_CLASS, size > 0 else {
            throw FeatureStoreError(
                .notACache,
                "the type of dataset \(name) cannot be read; the file is damaged. "
                    + "Recreate it with extract-features.", hdf5Stack: hdf5ErrorStack())
        }
        switch typeClass {
        case H5T_INTEGER: kind = .integer
        case H5T_FLOAT: kind = .float
        case H5T_STRING: kind = H5Tis_variable_str(type) > 0 ? .variableString : .other
        default: kind = .other
        }
        self.size = Int(size)
        signed = kind == .integer && H5Tget_sign(type) == H5T_SGN_2
    }

    var description: String {
        switch kind {
        case .integer: return "\(8 * size)-bit integer"
        case .float: return "\(8 * size)-bit float"
        case .variableString: return "variable-length string"
        case .other: return "\(size)-byte non-numeric type"
        }
    }
}

// MARK: - Typed conveniences

extension H5Dataset {
    /// Writes `values` with an explicit memory type: the features, whose memory type is their file type so that
    /// HDF5 never converts them (see Float16Conversion).
    func write<T>(rows range: Range<Int>, memType: hid_t, _ values: [T]) throws {
        precondition(
            values.count == range.count * rowElements,
            "\(name): \(values.count) values for \(range.count) rows of \(rowElements)")
        try values.withUnsafeBytes { try write(rows: range, memType: memType, from: $0.baseAddress!) }
    }

    /// Writes `values` to `rows`, converted by HDF5 from `T`'s native type to the file type.
    func write<T: H5Scalar>(rows range: Range<Int>, _ values: [T]) throws {
        try write(rows: range, memType: T.h5MemoryType, values)
    }

    /// `rows` converted by HDF5 to `T`.
    func read<T: H5Scalar>(rows range: Range<Int>, as: T.Type) throws -> [T] {
        var values = [T](repeating: .zero, count: range.count * rowElements)
        try values.withUnsafeMutableBytes { try read(rows: range, memType: T.h5MemoryType, into: $0.baseAddress!) }
        return values
    }

    /// Every row, converted by HDF5 to `T`.
    func readAll<T: H5Scalar>(as: T.Type) throws -> [T] {
        rows == 0 ? [] : try read(rows: 0..<rows, as: T.self)
    }

    /// Writes variable-length UTF-8 strings into rows `start ..< start + strings.count` of a 1-D string dataset.
    func writeStrings(_ strings: [String], at start: Int) throws {
        guard !strings.isEmpty else { return }
        let pointers = strings.map { strdup($0) }
        defer { pointers.forEach { free($0) } }
        try pointers.withUnsafeBytes {
            try write(rows: start..<(start + strings.count), memType: H5Types.utf8String.id, from: $0.baseAddress!)
        }
    }

    /// Reads rows `range` of a 1-D variable-length string dataset.
    func readStrings(_ range: Range<Int>) throws -> [String] {
        guard !range.isEmpty else { return [] }
        return try HDF5Lock.run {
            try checkStringReferences(range)
            var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: range.count)
            try pointers.withUnsafeMutableBytes {
                try read(rows: range, memType: H5Types.utf8String.id, into: $0.baseAddress!)
            }
            let strings = pointers.map { $0.map { String(cString: $0) } ?? "" }
            pointers.forEach { free($0) }  // HDF5 allocates with malloc by default
            return strings
        }
    }
}
