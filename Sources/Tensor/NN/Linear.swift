/// A linear layer in PyTorch layout: y = x Wᵀ + b, W: [out, in].
public struct Linear: ParameterContainer, Sendable {
    public var weight: Parameter
    public var bias: Parameter?

    /// Saved input for the backward pass.
    public struct Cache: Sendable { public let input: Tensor }

    /// `weightCheckpointShape`: how checkpoints store the weight when not as [out, in] (a patch embedding's conv weight).
    public init(weight: Tensor, bias: Tensor?, weightCheckpointShape: [Int]? = nil) {
        precondition(weight.rank == 2, "linear weight must be [out, in], got \(weight.shape)")
        precondition(bias == nil || bias!.count == weight.shape[0], "linear bias \(bias!.shape) for weight \(weight.shape)")
        self.weight = Parameter(weight, checkpointShape: weightCheckpointShape)
        self.bias = bias.map { Parameter($0) }
    }

    public var inFeatures: Int { weight.value.shape[1] }
    public var outFeatures: Int { weight.value.shape[0] }

    /// Inference: no cache.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        OpProfile.op(.linear) { linearForward(x, weight: weight.value, bias: bias?.value) }
    }

    public func forward(_ x: Tensor) -> (Tensor, Cache) {
        (self(x), Cache(input: x))
    }

    /// Accumulates parameter gradients and returns dx (nil when `needInputGrad` is false).
    @discardableResult
    public mutating func backward(_ dy: Tensor, _ cache: Cache, needInputGrad: Bool = true) -> Tensor? {
        let w = weight.value
        return OpProfile.op(.linear) { backwardBody(dy, cache, w, needInputGrad) }
    }

    private mutating func backwardBody(_ dy: Tensor, _ cache: Cache, _ w: Tensor, _ needInputGrad: Bool) -> Tensor? {
        weight.withGrad { dW in
            if bias == nil {
                return linearBackward(
                    dy, input: cache.input, weight: w, dWeight: dW, dBias: nil,
                    needInputGrad: needInputGrad)
            }
            return bias!.withGrad { db in
                linearBackward(dy, input: cache.input, weight: w, dWeight: dW, dBias: db, needInputGrad: needInputGrad)
            }
        }
    }

    public mutating func visitParameters(prefix: String, _ visit: (String, inout Parameter) -> Void) {
        visit(prefix + "weight", &weight)
        if bias != nil { visit(prefix + "bias", &bias!) }
    }
}
