/// LayerNorm over the last dimension, with or without affine parameters.
public struct LayerNorm: ParameterContainer, Sendable {
    public var weight: Parameter?
    public var bias: Parameter?
    public let eps: Float
    public let dimension: Int

    public struct Cache: Sendable {
        public let input: Tensor
        public let stats: LayerNormStats
    }

    /// Affine LayerNorm with the given weight and bias.
    public init(weight: Tensor, bias: Tensor, eps: Float = 1e-6) {
        precondition(weight.count == bias.count, "LayerNorm weight \(weight.shape) vs bias \(bias.shape)")
        self.weight = Parameter(weight)
        self.bias = Parameter(bias)
        self.eps = eps
        self.dimension = weight.count
    }

    /// Affine LayerNorm initialised to weight 1, bias 0.
    public init(dimension: Int, eps: Float = 1e-6) {
        self.init(weight: Tensor(shape: [dimension], repeating: 1), bias: Tensor(shape: [dimension]), eps: eps)
    }

    /// LayerNorm without parameters (MVD's `--norm_feature` target normalisation).
    public init(parameterFreeDimension dimension: Int, eps: Float = 1e-6) {
        self.weight = nil
        self.bias = nil
        self.eps = eps
        self.dimension = dimension
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        OpProfile.op(.layerNorm) { layerNormForward(x, weight: weight?.value, bias: bias?.value, eps: eps).0 }
    }

    public func forward(_ x: Tensor) -> (Tensor, Cache) {
        let (y, stats) = OpProfile.op(.layerNorm) { layerNormForward(x, weight: weight?.value, bias: bias?.value, eps: eps) }
        return (y, Cache(input: x, stats: stats))
    }

    public mutating func backward(_ dy: Tensor, _ cache: Cache) -> Tensor {
        OpProfile.op(.layerNorm) { backwardBody(dy, cache) }
    }

    private mutating func backwardBody(_ dy: Tensor, _ cache: Cache) -> Tensor {
        guard weight != nil, bias != nil else {
            return layerNormBackward(dy, input: cache.input, stats: cache.stats, weight: nil, dWeight: nil, dBias: nil)
        }
        let w = weight!.value
        return weight!.withGrad { dw in
            bias!.withGrad { db in
                layerNormBackward(dy, input: cache.input, stats: cache.stats, weight: w, dWeight: dw, dBias: db)
            }
        }
    }

    public mutating func visitParameters(prefix: String, _ visit: (String, inout Parameter) -> Void) {
        if weight != nil { visit(prefix + "weight", &weight!) }
        if bias != nil { visit(prefix + "bias", &bias!) }
    }
}
