import CHDF5

/// A Swift element type paired with the HDF5 native memory type of the same layout, so that a typed read or write
/// names its element type once (`readAll(as: Int64.self)`) and a memory type of another width cannot be passed
/// beside it. HDF5 converts between this memory type and the dataset's file type.
protocol H5Scalar: AdditiveArithmetic {
    static var h5MemoryType: hid_t { get }
}

extension Int64: H5Scalar { static var h5MemoryType: hid_t { swh5_T_NATIVE_INT64() } }
extension Int32: H5Scalar { static var h5MemoryType: hid_t { swh5_T_NATIVE_INT32() } }
extension Int8: H5Scalar { static var h5MemoryType: hid_t { swh5_T_NATIVE_INT8() } }
extension UInt8: H5Scalar { static var h5MemoryType: hid_t { swh5_T_NATIVE_UINT8() } }
extension Float: H5Scalar { static var h5MemoryType: hid_t { swh5_T_NATIVE_FLOAT() } }
