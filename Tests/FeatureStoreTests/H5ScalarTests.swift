import CHDF5
import Testing

@testable import FeatureStore

@Suite("HDF5 element types")
struct H5ScalarTests {
    /// Each Swift type's native HDF5 type has its width, sign and class, so a typed read fills exactly its buffer.
    func check<T: H5Scalar>(_: T.Type, signed: Bool?, integer: Bool) {
        let type = T.h5MemoryType
        #expect(H5Tget_size(type) == MemoryLayout<T>.size, "\(T.self)")
        #expect(H5Tget_class(type) == (integer ? H5T_INTEGER : H5T_FLOAT), "\(T.self)")
        if let signed { #expect(H5Tget_sign(type) == (signed ? H5T_SGN_2 : H5T_SGN_NONE), "\(T.self)") }
    }

    @Test("Int64, Int32, Int8, UInt8 and Float map to the native type of the same width, sign and class")
    func nativeTypes() {
        check(Int64.self, signed: true, integer: true)
        check(Int32.self, signed: true, integer: true)
        check(Int8.self, signed: true, integer: true)
        check(UInt8.self, signed: false, integer: true)
        check(Float.self, signed: nil, integer: false)
    }
}
