/// A trainable tensor and its gradient. The gradient is allocated on first use, so inference-only models
/// (the frozen teachers) never hold gradient memory.
public struct Parameter: Sendable {
    public var value: Tensor
    public private(set) var grad: Tensor
    /// False for frozen tensors (position tables): they are never handed to the optimizer.
    public var trainable: Bool
    /// The shape a checkpoint stores this tensor in, when it differs from the computing layout (the tubelet
    /// embedding is computed as [D, 3·t·p·p] and stored as the Conv3d weight [D, 3, t, p, p]). Loading checks it,
    /// export writes it.
    public let checkpointShape: [Int]

    public init(_ value: Tensor, trainable: Bool = true, checkpointShape: [Int]? = nil) {
        precondition(
            checkpointShape.map { $0.reduce(1, *) == value.count } ?? true,
            "checkpoint shape \(checkpointShape!) for a parameter of \(value.shape)")
        self.value = value
        self.grad = Tensor(shape: [0])
        self.trainable = trainable
        self.checkpointShape = checkpointShape ?? value.shape
    }

    /// The value in the checkpoint's shape.
    public var checkpointValue: Tensor { value.shape == checkpointShape ? value : value.reshaped(checkpointShape) }

    public var hasGrad: Bool { grad.count == value.count && value.count > 0 }

    /// Sets the gradient to zero (allocating it if needed).
    public mutating func zeroGrad() {
        if grad.count != value.count { grad = Tensor(shape: value.shape) } else { grad.zero() }
    }

    /// Gives `body` a pointer to the gradient, allocating a zero gradient first if needed.
    public mutating func withGrad<R>(_ body: (UnsafeMutablePointer<Float>) -> R) -> R {
        if grad.count != value.count { grad = Tensor(shape: value.shape) }
        return grad.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
    }

    /// Adds `g` (same shape) into the gradient.
    public mutating func accumulate(_ g: Tensor) {
        precondition(g.count == value.count, "gradient of \(g.shape) for parameter \(value.shape)")
        if grad.count != value.count { grad = Tensor(shape: value.shape, g.storage) } else { grad.add(g.reshaped(value.shape)) }
    }

    /// Replaces the gradient (used when restoring state or by tests).
    public mutating func setGrad(_ g: Tensor) {
        precondition(g.count == value.count, "gradient of \(g.shape) for parameter \(value.shape)")
        grad = g.reshaped(value.shape)
    }
}

/// A model or layer whose parameters can be enumerated by their checkpoint names (timm keys).
public protocol ParameterContainer {
    /// Calls `visit` for every parameter with its full name (`prefix` + local name), in a fixed order.
    mutating func visitParameters(prefix: String, _ visit: (String, inout Parameter) -> Void)
}

extension ParameterContainer {
    /// All parameters' names, in visiting order.
    public mutating func parameterNames() -> [String] {
        var names: [String] = []
        visitParameters(prefix: "") { name, _ in names.append(name) }
        return names
    }

    /// Every parameter as (full name, value in its checkpoint shape), in visiting order: what a checkpoint of this
    /// model holds, apart from frozen tables.
    public mutating func checkpointTensors(prefix: String = "") -> [(String, Tensor)] {
        var out: [(String, Tensor)] = []
        visitParameters(prefix: prefix) { name, p in out.append((name, p.checkpointValue)) }
        return out
    }

    /// Zeroes every gradient.
    public mutating func zeroGrad() {
        visitParameters(prefix: "") { _, p in if p.trainable { p.zeroGrad() } }
    }

    /// Number of trainable scalars.
    public mutating func trainableParameterCount() -> Int {
        var n = 0
        visitParameters(prefix: "") { _, p in if p.trainable { n += p.value.count } }
        return n
    }
}
