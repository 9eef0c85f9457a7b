/// How the qkv projection is biased (docs/method.md §2.2).
public enum QKVBiasStyle: String, Codable, Sendable {
    /// VideoMAE style: learned `q_bias` and `v_bias`, a constant zero k bias (student, video teacher, fine-tune).
    case separateQV
    /// timm/MAE style: one learned `qkv.bias` of 3C (image teacher).
    case combined
    /// No bias at all.
    case none
}

/// Multi-head self-attention: qkv projection, softmax(scale · q kᵀ) v per head, output projection.
public struct Attention: ParameterContainer, Sendable {
    public var qkv: Linear  // weight [3C, C]; bias only in the combined style
    public var qBias: Parameter?  // [C], separateQV style
    public var vBias: Parameter?  // [C], separateQV style
    public var proj: Linear
    public let heads: Int
    public let scale: Float

    public struct Cache: Sendable {
        let input: Tensor, qkvOut: Tensor, saved: AttentionSaved, projCache: Linear.Cache
    }

    public init(
        qkvWeight: Tensor, qkvBias: Tensor?, qBias: Tensor?, vBias: Tensor?,
        projWeight: Tensor, projBias: Tensor, heads: Int
    ) {
        let c = projWeight.shape[0]
        precondition(c % heads == 0, "width \(c) is not divisible by \(heads) heads")
        precondition(qkvWeight.shape == [3 * c, c], "qkv weight \(qkvWeight.shape) for width \(c)")
        precondition((qBias == nil) == (vBias == nil), "q_bias and v_bias come together")
        precondition(qkvBias == nil || qBias == nil, "a combined qkv bias excludes separate q/v biases")
        self.qkv = Linear(weight: qkvWeight, bias: qkvBias)
        self.qBias = qBias.map { Parameter($0) }
        self.vBias = vBias.map { Parameter($0) }
        self.proj = Linear(weight: projWeight, bias: projBias)
        self.heads = heads
        self.scale = 1 / Float(c / heads).squareRoot()
    }

    public var width: Int { proj.outFeatures }
    public var biasStyle: QKVBiasStyle { qkv.bias != nil ? .combined : (qBias != nil ? .separateQV : .none) }

    /// The qkv projection including the effective bias ([q_bias, 0, v_bias] in the separate style).
    private func project(_ x: Tensor) -> Tensor {
        OpProfile.op(.linear) { projectBody(x) }
    }

    private func projectBody(_ x: Tensor) -> Tensor {
        var y = qkv(x)
        if let qb = qBias?.value, let vb = vBias?.value {
            let c = width
            var bias = Tensor(shape: [3 * c])
            for j in 0..<c {
                bias.storage[j] = qb.storage[j]
                bias.storage[2 * c + j] = vb.storage[j]
            }
            addRowVector(&y, bias)
        }
        return y
    }

    /// Inference on x [B, N, C]: nothing is saved.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        let q = project(x)
        let (o, _) = OpProfile.op(.attention) { attentionForward(q, heads: heads, scale: scale, saveForBackward: false) }
        return proj(o)
    }

    public func forward(_ x: Tensor) -> (Tensor, Cache) {
        let q = project(x)
        let (o, saved) = OpProfile.op(.attention) { attentionForward(q, heads: heads, scale: scale) }
        let (y, pc) = proj.forward(o)
        return (y, Cache(input: x, qkvOut: q, saved: saved!, projCache: pc))
    }

    public mutating func backward(_ dy: Tensor, _ cache: Cache) -> Tensor {
        let dO = proj.backward(dy, cache.projCache)!
        let dQKV = OpProfile.op(.attention) { attentionBackward(dO, qkv: cache.qkvOut, saved: cache.saved, heads: heads, scale: scale) }
        if qBias != nil { OpProfile.op(.linear) { accumulateQVBiasGrads(dQKV) } }
        return qkv.backward(dQKV, Linear.Cache(input: cache.input))!
    }

    private mutating func accumulateQVBiasGrads(_ dQKV: Tensor) {
        let c = width
        var db = [Float](repeating: 0, count: 3 * c)
        db.withUnsafeMutableBufferPointer { accumulateColumnSums(dQKV, into: $0.baseAddress!) }
        qBias!.withGrad { g in for j in 0..<c { g[j] += db[j] } }
        vBias!.withGrad { g in for j in 0..<c { g[j] += db[2 * c + j] } }
    }

    public mutating func visitParameters(prefix: String, _ visit: (String, inout Parameter) -> Void) {
        if qBias != nil { visit(prefix + "q_bias", &qBias!) }
        if vBias != nil { visit(prefix + "v_bias", &vBias!) }
        qkv.visitParameters(prefix: prefix + "qkv.", visit)
        proj.visitParameters(prefix: prefix + "proj.", visit)
    }
}
