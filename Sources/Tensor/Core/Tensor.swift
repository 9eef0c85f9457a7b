/// A dense float32 tensor: row-major, contiguous, with an explicit shape.
///
/// Storage is a copy-on-write `[Float]`. There are no strided views: transposes are explicit, and matrix
/// products pass `transA`/`transB` to BLAS instead. Letters used in kernel docs: B batch, T tubelets,
/// N tokens, C channels, H heads, D teacher dimension.
public struct Tensor: Sendable, Equatable {
    public private(set) var shape: [Int]
    public var storage: [Float]

    /// A tensor of `shape` filled with `value`.
    public init(shape: [Int], repeating value: Float = 0) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in shape \(shape)")
        self.shape = shape
        self.storage = [Float](repeating: value, count: shape.reduce(1, *))
    }

    /// A tensor of `shape` holding `storage` (row-major); the element count must match the shape.
    public init(shape: [Int], _ storage: [Float]) {
        precondition(
            shape.reduce(1, *) == storage.count,
            "shape \(shape) needs \(shape.reduce(1, *)) elements, got \(storage.count)")
        self.shape = shape
        self.storage = storage
    }

    public static func zeros(_ shape: [Int]) -> Tensor { Tensor(shape: shape, repeating: 0) }

    /// A tensor of `shape` whose elements are left as memory had them: only for outputs that a kernel then writes
    /// whole (a product with beta = 0). Filling large outputs with zeros first cost a few percent of a forward pass.
    init(unfilled shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in shape \(shape)")
        self.shape = shape
        self.storage = [Float](unsafeUninitializedCapacity: shape.reduce(1, *)) { _, count in count = shape.reduce(1, *) }
    }

    /// Number of elements.
    public var count: Int { storage.count }
    /// Number of dimensions.
    public var rank: Int { shape.count }
    /// The size of the last dimension (the "channel" dimension of token tensors).
    public var lastDimension: Int { shape.last ?? 1 }
    /// Number of rows when the tensor is seen as a matrix [count / last, last].
    public var rowCount: Int { lastDimension == 0 ? 0 : count / lastDimension }

    /// The same data under another shape with the same element count.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        Tensor(shape: newShape, storage)
    }

    public subscript(flat index: Int) -> Float {
        get { storage[index] }
        set { storage[index] = newValue }
    }

    @inlinable
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try storage.withUnsafeBufferPointer(body)
    }

    @inlinable
    public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (inout UnsafeMutableBufferPointer<Float>) throws -> R
    ) rethrows -> R {
        try storage.withUnsafeMutableBufferPointer(body)
    }
}
