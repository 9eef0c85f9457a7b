import CHDF5
import Foundation

extension H5Dataset {
    /// Throws unless every string reference of rows `range` points at an object of its own length (see
    /// `HeapReferenceCheck`). Called with the HDF5 lock held, before libhdf5 follows the references.
    func checkStringReferences(_ range: Range<Int>) throws {
        var check = try HeapReferenceCheck(fileOf: handle.id)
        defer { check.close() }
        let type = H5Handle(try checkID(H5Dget_type(handle.id), "datatype of \(name)"), .datatype)
        guard H5Tget_class(type.id) == H5T_STRING, H5Tis_variable_str(type.id) > 0, dims.count == 1 else {
            throw check.damaged("\(name) stores \(storedType) values, not the variable-length strings of the format")
        }
        let dcpl = H5Handle(try checkID(H5Dget_create_plist(handle.id), "creation properties of \(name)"), .propertyList)
        guard H5Pget_layout(dcpl.id) == H5D_CONTIGUOUS else {
            throw check.damaged("\(name) is not stored contiguously, as every string dataset of the format is")
        }
        let offset = H5Dget_offset(handle.id)
        guard offset != haddr_t.max else { return }  // never written: libhdf5 reads the fill value, no reference
        let size = HeapReferenceCheck.referenceSize
        let raw = try check.bytes(at: UInt64(offset) + UInt64(range.lowerBound * size), count: range.count * size)
        for (i, row) in range.enumerated() {
            try check.check(HeapReferenceCheck.Reference(raw[(i * size)..<((i + 1) * size)]), of: "\(name) row \(row)")
        }
    }
}
