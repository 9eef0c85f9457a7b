/// Pre-norm ViT block (timm / VideoMAE `Block`). x: [B, N, C] -> [B, N, C].
///
/// y = x + DropPath(Attn(LN1(x)));  z = y + DropPath(MLP(LN2(y))).
public struct ViTBlock: ParameterContainer, Sendable {
    public var norm1: LayerNorm
    public var attn: Attention
    public var norm2: LayerNorm
    public var mlp: MLP
    /// Stochastic-depth rate of this block (0 = off).
    public var dropPath: Float

    public struct Cache: Sendable {
        let norm1: LayerNorm.Cache, attn: Attention.Cache, norm2: LayerNorm.Cache, mlp: MLP.Cache
        let keepAttn: [Float], keepMLP: [Float]
    }

    public init(norm1: LayerNorm, attn: Attention, norm2: LayerNorm, mlp: MLP, dropPath: Float = 0) {
        self.norm1 = norm1
        self.attn = attn
        self.norm2 = norm2
        self.mlp = mlp
        self.dropPath = dropPath
    }

    /// Inference (drop path is the identity; nothing is saved).
    public func callAsFunction(_ x: Tensor) -> Tensor {
        let x1 = x + attn(norm1(x))
        return x1 + mlp(norm2(x1))
    }

    /// Training forward. Drop-path decisions (attention branch, then MLP branch) come from `rng`.
    public func forward(_ x: Tensor, using rng: inout SplitMix64) -> (Tensor, Cache) {
        let batch = x.shape[0]
        let keepAttn = dropPathScales(batch: batch, rate: dropPath, using: &rng)
        let keepMLP = dropPathScales(batch: batch, rate: dropPath, using: &rng)
        let (h1, n1) = norm1.forward(x)
        let (a, ac) = attn.forward(h1)
        let x1 = OpProfile.op(.residual) { x + applySampleScales(a, keepAttn) }
        let (h2, n2) = norm2.forward(x1)
        let (m, mc) = mlp.forward(h2)
        let y = OpProfile.op(.residual) { x1 + applySampleScales(m, keepMLP) }
        return (y, Cache(norm1: n1, attn: ac, norm2: n2, mlp: mc, keepAttn: keepAttn, keepMLP: keepMLP))
    }

    /// Reverse of `forward`; accumulates every parameter gradient and returns dx.
    public mutating func backward(_ dy: Tensor, _ c: Cache) -> Tensor {
        var dx1 = dy
        let dMLP = norm2.backward(mlp.backward(OpProfile.op(.residual) { applySampleScales(dy, c.keepMLP) }, c.mlp), c.norm2)
        OpProfile.op(.residual) { dx1.add(dMLP) }
        var dx = dx1
        let dAttn = norm1.backward(attn.backward(OpProfile.op(.residual) { applySampleScales(dx1, c.keepAttn) }, c.attn), c.norm1)
        OpProfile.op(.residual) { dx.add(dAttn) }
        return dx
    }

    public mutating func visitParameters(prefix: String, _ visit: (String, inout Parameter) -> Void) {
        norm1.visitParameters(prefix: prefix + "norm1.", visit)
        attn.visitParameters(prefix: prefix + "attn.", visit)
        norm2.visitParameters(prefix: prefix + "norm2.", visit)
        mlp.visitParameters(prefix: prefix + "mlp.", visit)
    }
}
