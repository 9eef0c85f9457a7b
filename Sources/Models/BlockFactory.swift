import Tensor

/// Builds `ViTBlock`s from checkpoint weights or from scratch (docs/method.md §2.2, §2.8).
public enum BlockFactory {
    /// Reads `norm1, attn.(qkv, q_bias, v_bias | qkv.bias), attn.proj, norm2, mlp.fc1, mlp.fc2` under `w`.
    public static func load(_ w: WeightScope, width c: Int, heads: Int, hidden: Int, style: QKVBiasStyle,
                            dropPath: Float = 0) throws -> ViTBlock {
        let norm1 = LayerNorm(weight: try w.tensor("norm1.weight", shape: [c]), bias: try w.tensor("norm1.bias", shape: [c]))
        let attn = Attention(
            qkvWeight: try w.tensor("attn.qkv.weight", shape: [3 * c, c]),
            qkvBias: style == .combined ? try w.tensor("attn.qkv.bias", shape: [3 * c]) : nil,
            qBias: style == .separateQV ? try w.tensor("attn.q_bias", shape: [c]) : nil,
            vBias: style == .separateQV ? try w.tensor("attn.v_bias", shape: [c]) : nil,
            projWeight: try w.tensor("attn.proj.weight", shape: [c, c]), projBias: try w.tensor("attn.proj.bias", shape: [c]),
            heads: heads)
        let norm2 = LayerNorm(weight: try w.tensor("norm2.weight", shape: [c]), bias: try w.tensor("norm2.bias", shape: [c]))
        let mlp = MLP(fc1: Linear(weight: try w.tensor("mlp.fc1.weight", shape: [hidden, c]), bias: try w.tensor("mlp.fc1.bias", shape: [hidden])),
                      fc2: Linear(weight: try w.tensor("mlp.fc2.weight", shape: [c, hidden]), bias: try w.tensor("mlp.fc2.bias", shape: [c])))
        return ViTBlock(norm1: norm1, attn: attn, norm2: norm2, mlp: mlp, dropPath: dropPath)
    }

    /// A fresh block: Linear weights by `initWeight` (xavier-uniform for pre-training, trunc-normal 0.02 for
    /// fine-tuning), biases 0, LayerNorm (1, 0), q/v biases 0 (docs/method.md §2.8).
    public static func fresh(width c: Int, heads: Int, hidden: Int, style: QKVBiasStyle, dropPath: Float = 0,
                             initWeight: LinearInit, using rng: inout SplitMix64) -> ViTBlock {
        let attn = Attention(qkvWeight: initWeight.make([3 * c, c], using: &rng),
                             qkvBias: style == .combined ? Tensor.zeros([3 * c]) : nil,
                             qBias: style == .separateQV ? Tensor.zeros([c]) : nil,
                             vBias: style == .separateQV ? Tensor.zeros([c]) : nil,
                             projWeight: initWeight.make([c, c], using: &rng), projBias: Tensor.zeros([c]), heads: heads)
        let mlp = MLP(fc1: Linear(weight: initWeight.make([hidden, c], using: &rng), bias: Tensor.zeros([hidden])),
                      fc2: Linear(weight: initWeight.make([c, hidden], using: &rng), bias: Tensor.zeros([c])))
        return ViTBlock(norm1: LayerNorm(dimension: c), attn: attn, norm2: LayerNorm(dimension: c), mlp: mlp, dropPath: dropPath)
    }

    /// A video encoder's tubelet embedding (`patch_embed.proj.*`, weight [D, 3, t, p, p]) and VideoMAE-style blocks
    /// (`blocks.i.*`) under `w`, as the student, the video teacher and the classifier store them.
    public static func loadVideoEncoder(_ w: WeightScope, config: ModelConfig, dropPath: Float = 0) throws -> (PatchEmbed, [ViTBlock]) {
        let (d, p, t) = (config.embedDim, config.patchSize, config.tubeletSize)
        let geometry = PatchGeometry(frames: config.numFrames, height: config.inputSize, width: config.inputSize, tubelet: t, patch: p)
        let patch = PatchEmbed(weight: try w.tensor("patch_embed.proj.weight", shape: [d, 3, t, p, p]),
                               bias: try w.tensor("patch_embed.proj.bias", shape: [d]), geometry: geometry)
        let rates = dropPathRates(dropPath, depth: config.depth)
        let blocks = try (0..<config.depth).map {
            try load(w.scoped("blocks.\($0)."), width: d, heads: config.numHeads, hidden: config.mlpHidden, style: .separateQV, dropPath: rates[$0])
        }
        return (patch, blocks)
    }

    /// Stochastic-depth rates linspace(0, rate, depth), as timm builds them.
    public static func dropPathRates(_ rate: Float, depth: Int) -> [Float] {
        guard depth > 1 else { return [Float](repeating: 0, count: depth) }
        return (0..<depth).map { rate * Float($0) / Float(depth - 1) }
    }
}

/// Linear-weight initialisers of the original code.
public enum LinearInit {
    /// U(±√(6 / (fan_in + fan_out))) — the student and teachers (pre-training).
    case xavierUniform
    /// Normal(0, std) truncated at ±2 (absolute, as timm's trunc_normal_) — the fine-tuning classifier.
    case truncatedNormal(std: Float)

    public func make(_ shape: [Int], using rng: inout SplitMix64) -> Tensor {
        switch self {
        case .xavierUniform:
            let bound = (6 / Float(shape[0] + shape[1])).squareRoot()
            return Tensor.uniform(shape, bound: bound, using: &rng)
        case .truncatedNormal(let std):
            return Tensor.truncatedNormal(shape, std: std, limit: 2, using: &rng)
        }
    }
}
