import Foundation

/// One tensor as stored in a checkpoint: element type, shape and raw little-endian row-major bytes.
///
/// Reading a file maps it into memory, and a contiguous tensor's `bytes` is a slice of that mapping, so
/// loading a multi-gigabyte checkpoint does not copy the weights until `floats()` (or another accessor)
/// converts them. The host is assumed little-endian, like every platform Swift targets for this package.
public struct TensorData: Sendable, Equatable {
    public let dtype: DType
    /// Dimensions, outermost first; `[]` is a scalar.
    public let shape: [Int]
    /// `elementCount * dtype.byteSize` bytes, little-endian, C order.
    public let bytes: Data

    /// Wraps raw bytes; returns nil when the byte count disagrees with `shape` and `dtype`.
    public init?(dtype: DType, shape: [Int], bytes: Data) {
        guard let count = TensorData.elementCount(of: shape),
            case let (size, overflow) = count.multipliedReportingOverflow(by: dtype.byteSize), !overflow,
            size == bytes.count
        else { return nil }
        self.dtype = dtype
        self.shape = shape
        self.bytes = bytes
    }

    /// A float32 tensor holding `floats` in row-major order.
    public init(floats: [Float], shape: [Int]) {
        precondition(
            TensorData.elementCount(of: shape) == floats.count,
            "TensorData: shape \(shape) does not hold \(floats.count) floats")
        self.dtype = .float32
        self.shape = shape
        self.bytes = floats.withUnsafeBytes { Data($0) }
    }

    /// An int64 tensor holding `integers` in row-major order.
    public init(int64s integers: [Int64], shape: [Int]) {
        precondition(
            TensorData.elementCount(of: shape) == integers.count,
            "TensorData: shape \(shape) does not hold \(integers.count) integers")
        self.dtype = .int64
        self.shape = shape
        self.bytes = integers.withUnsafeBytes { Data($0) }
    }

    /// Number of elements (the product of `shape`; 1 for a scalar).
    public var elementCount: Int { bytes.count / dtype.byteSize }

    /// The product of `shape`, or nil when a dimension is negative or the product overflows.
    static func elementCount(of shape: [Int]) -> Int? {
        var count = 1
        for dimension in shape {
            guard dimension >= 0 else { return nil }
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            if overflow { return nil }
            count = product
        }
        return count
    }

    /// Every element converted to Float (integers and booleans too; float64 is rounded).
    public func floats() -> [Float] {
        switch dtype {
        case .float32: return load(Float.self)
        case .float16: return load(UInt16.self).map(HalfPrecision.float(fromHalf:))
        case .bfloat16: return load(UInt16.self).map(HalfPrecision.float(fromBFloat16:))
        case .float64: return load(Double.self).map { Float($0) }
        case .uint8, .bool: return load(UInt8.self).map { Float($0) }
        case .int32: return load(Int32.self).map { Float($0) }
        case .int64: return load(Int64.self).map { Float($0) }
        }
    }

    /// The elements as integers, for `U8`, `BOOL`, `I32` and `I64` tensors; nil for floating-point tensors.
    public func integers() -> [Int64]? {
        switch dtype {
        case .uint8, .bool: return load(UInt8.self).map { Int64($0) }
        case .int32: return load(Int32.self).map { Int64($0) }
        case .int64: return load(Int64.self)
        case .float32, .float16, .bfloat16, .float64: return nil
        }
    }

    /// The elements as booleans (nonzero is true), for `BOOL` and `U8` tensors; nil otherwise.
    public func bools() -> [Bool]? {
        guard dtype == .bool || dtype == .uint8 else { return nil }
        return load(UInt8.self).map { $0 != 0 }
    }

    /// The raw bytes as `U8` values, for `U8` and `BOOL` tensors (e.g. video frames); nil otherwise.
    public func uint8s() -> [UInt8]? {
        guard dtype == .bool || dtype == .uint8 else { return nil }
        return [UInt8](bytes)
    }

    /// Copies the bytes into an array of `T` (the bytes may be unaligned inside a mapped file).
    private func load<T>(_ type: T.Type) -> [T] {
        let count = bytes.count / MemoryLayout<T>.stride
        return [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            bytes.withUnsafeBytes { raw in
                if let source = raw.baseAddress, let destination = buffer.baseAddress, count > 0 {
                    UnsafeMutableRawPointer(destination).copyMemory(from: source, byteCount: count * MemoryLayout<T>.stride)
                }
            }
            initialized = count
        }
    }
}
