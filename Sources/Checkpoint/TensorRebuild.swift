import Foundation

/// `torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])`:
/// turns a storage plus a strided view into a contiguous `TensorData`.
enum TensorRebuild {
    /// The tensor `arguments` (indices into `graph`) describe, as a new node.
    static func rebuild(_ arguments: [Int], in graph: PickleGraph, path: String, offset: Int) throws -> PickleNode {
        func fail(_ detail: String) -> WeightLoadError {
            .invalidPickle(path: path, offset: offset, detail: "_rebuild_tensor: \(detail)")
        }
        guard arguments.count >= 4 else { throw fail("expected at least 4 arguments, got \(arguments.count)") }
        guard case let .storage(storage) = graph[arguments[0]].kind else { throw fail("first argument is not a storage") }
        guard let dtype = storage.dtype else {
            // A storage type this library does not read: keep the tensor opaque so other entries still load.
            return PickleNode(kind: .object(className: "torch._utils._rebuild_tensor_v2"), children: arguments)
        }
        guard let storageOffset = graph.int(arguments[1]),
            let shape = graph.elements(arguments[2])?.compactMap(graph.int), shape.count == graph.elements(arguments[2])?.count,
            let strides = graph.elements(arguments[3])?.compactMap(graph.int), strides.count == shape.count
        else {
            throw fail("storage offset, size and stride must be integers of matching rank")
        }
        let bytes = try gather(
            storage.bytes, dtype: dtype, offset: storageOffset, shape: shape, strides: strides,
            describe: { WeightLoadError.invalidTensor(path: path, tensor: "storage \(storage.key)", detail: $0) })
        guard let tensor = TensorData(dtype: dtype, shape: shape, bytes: bytes) else {
            throw WeightLoadError.invalidTensor(path: path, tensor: "storage \(storage.key)", detail: "size \(shape) overflows")
        }
        return PickleNode(kind: .value(.tensor(tensor)))
    }

    /// The bytes of the view (`offset`, `shape`, `strides`, all in elements) in row-major order. A contiguous
    /// view is returned as a slice of `storage` (no copy); any other view is copied element by element.
    static func gather(
        _ storage: Data, dtype: DType, offset: Int, shape: [Int], strides: [Int],
        describe: (String) -> WeightLoadError
    ) throws -> Data {
        let size = dtype.byteSize
        guard let count = TensorData.elementCount(of: shape) else { throw describe("size \(shape) is invalid") }
        if count == 0 { return Data() }
        guard offset >= 0, strides.allSatisfy({ $0 >= 0 }) else {
            throw describe("negative storage offset \(offset) or stride \(strides)")
        }
        var last = offset  // index of the view's last element in the storage
        for (dimension, stride) in zip(shape, strides) {
            let (step, overflow) = (dimension - 1).multipliedReportingOverflow(by: stride)
            let (sum, overflow2) = last.addingReportingOverflow(step)
            guard !overflow, !overflow2 else { throw describe("stride \(strides) overflows") }
            last = sum
        }
        let available = storage.count / size
        guard last < available else {
            throw describe(
                "view (offset \(offset), size \(shape), stride \(strides)) reaches element \(last) "
                    + "but the storage holds \(available)")
        }
        // Only a view that repeats elements (a zero or overlapping stride, as `expand` makes) can hold more
        // elements than its storage; copying one would let a few bytes of header allocate without bound.
        guard count <= available else {
            throw describe(
                "view (size \(shape), stride \(strides)) repeats elements: \(count) elements from a storage "
                    + "of \(available); save tensor.contiguous() instead")
        }
        if isContiguous(shape: shape, strides: strides) {
            let start = storage.startIndex + offset * size
            return storage[start..<(start + count * size)]
        }
        return copyStrided(storage, elementSize: size, offset: offset, shape: shape, strides: strides, count: count)
    }

    /// True when `strides` are the row-major strides of `shape` (dimensions of size 1 may have any stride).
    static func isContiguous(shape: [Int], strides: [Int]) -> Bool {
        var expected = 1
        for (dimension, stride) in zip(shape, strides).reversed() where dimension != 1 {
            if stride != expected { return false }
            expected *= dimension
        }
        return true
    }

    /// Copies a strided view into row-major order, walking a multi-index odometer.
    private static func copyStrided(
        _ storage: Data, elementSize size: Int, offset: Int, shape: [Int], strides: [Int], count: Int
    ) -> Data {
        var output = Data(count: count * size)
        var index = [Int](repeating: 0, count: shape.count)
        storage.withUnsafeBytes { (source: UnsafeRawBufferPointer) in
            output.withUnsafeMutableBytes { (destination: UnsafeMutableRawBufferPointer) in
                guard let from = source.baseAddress, let to = destination.baseAddress else { return }
                var position = offset
                for element in 0..<count {
                    (to + element * size).copyMemory(from: from + position * size, byteCount: size)
                    var axis = shape.count - 1
                    while axis >= 0 {  // advance the odometer, carrying into outer axes
                        index[axis] += 1
                        position += strides[axis]
                        if index[axis] < shape[axis] { break }
                        position -= strides[axis] * shape[axis]
                        index[axis] = 0
                        axis -= 1
                    }
                }
            }
        }
        return output
    }
}
