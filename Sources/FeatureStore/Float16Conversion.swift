/// Float32 <-> IEEE binary16 conversion in Swift.
///
/// HDF5 1.10.8 converts f32 -> f16 wrongly when rounding carries into the exponent (7.9997673 becomes 4.0,
/// 1.9995582 becomes 1.0) and slowly, so the cache never asks HDF5 to convert: features are turned into
/// `Float16` here (round to nearest, ties to even) and written with memory type = file type.
public enum Float16Conversion {
    /// `Float16(x)` for every element; `output.count` must equal `input.count`.
    public static func convert(_ input: UnsafeBufferPointer<Float>, into output: UnsafeMutableBufferPointer<Float16>) {
        precondition(input.count == output.count, "float16 conversion: \(input.count) values into \(output.count)")
        for i in 0..<input.count { output[i] = Float16(input[i]) }
    }

    /// `Float(x)` for every element; `output.count` must equal `input.count`.
    public static func convert(_ input: UnsafeBufferPointer<Float16>, into output: UnsafeMutableBufferPointer<Float>) {
        precondition(input.count == output.count, "float16 conversion: \(input.count) values into \(output.count)")
        widenTable.withUnsafeBufferPointer { table in
            for i in 0..<input.count { output[i] = table[Int(input[i].bitPattern)] }
        }
    }

    /// `Float(Float16(bitPattern: b))` for all 65,536 bit patterns (256 KiB). Without F16C in the x86-64
    /// baseline, `Float(half)` is a library call; a lookup is several times faster and exact by construction.
    static let widenTable: [Float] = (0...UInt16.max).map { Float(Float16(bitPattern: $0)) }

    /// The values rounded to float16.
    public static func toFloat16(_ values: [Float]) -> [Float16] {
        [Float16](unsafeUninitializedCapacity: values.count) { buffer, count in
            values.withUnsafeBufferPointer { convert($0, into: buffer) }
            count = values.count
        }
    }

    /// The float16 values widened to Float (exact).
    public static func toFloat(_ values: [Float16]) -> [Float] {
        [Float](unsafeUninitializedCapacity: values.count) { buffer, count in
            values.withUnsafeBufferPointer { convert($0, into: buffer) }
            count = values.count
        }
    }
}
