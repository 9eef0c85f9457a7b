import CHDF5
import Foundation

// MARK: - One-dimensional float32 attributes (a teacher's feature statistics)

extension H5Object {
    /// Writes `values` as a new one-dimensional little-endian float32 attribute `name`.
    func setAttribute(_ name: String, float32 values: [Float]) throws {
        try HDF5Lock.run {
            let space = H5Handle(
                try checkID(H5Screate_simple(1, [hsize_t(values.count)], nil), "array space"), .dataspace)
            let attr = H5Handle(
                try checkID(
                    H5Acreate2(id, name, swh5_T_IEEE_F32LE(), space.id, swh5_P_DEFAULT(), swh5_P_DEFAULT()),
                    "creating attribute \(name) on \(path)"), .attribute)
            try check(H5Awrite(attr.id, Float.h5MemoryType, values), "writing attribute \(name)")
        }
    }

    /// Reads the one-dimensional floating-point attribute `name` as float32, refusing any other type or rank:
    /// HDF5 would convert an integer attribute silently, and a two-dimensional one would be read flat.
    func float32ArrayAttribute(_ name: String) throws -> [Float] {
        try HDF5Lock.run {
            let attr = H5Handle(
                try checkID(H5Aopen(id, name, swh5_P_DEFAULT()), "opening attribute \(name) of \(path)"), .attribute)
            let space = H5Handle(try checkID(H5Aget_space(attr.id), "dataspace of attribute \(name)"), .dataspace)
            let type = H5Handle(try checkID(H5Aget_type(attr.id), "type of attribute \(name)"), .datatype)
            let rank = H5Sget_simple_extent_ndims(space.id)
            guard rank == 1, H5Tget_class(type.id) == H5T_FLOAT else {
                throw FeatureStoreError(
                    .notACache,
                    "attribute \(name) of \(path) is not a one-dimensional float array (rank \(rank)); the "
                        + "file is damaged: delete it and run extract-features again.")
            }
            let count = Int(H5Sget_simple_extent_npoints(space.id))
            var values = [Float](repeating: 0, count: count)
            try check(H5Aread(attr.id, Float.h5MemoryType, &values), "reading attribute \(name) of \(path)")
            return values
        }
    }
}
