import Tensor

/// Builds `ViTBlock`s and video encoders from scratch (docs/method.md §2.2, §2.8); checkpoints are then read into
/// them by `WeightReader.load(into:)`.
public enum BlockFactory {
    /// A fresh block: Linear weights by `initWeight` (xavier-uniform for pre-training, trunc-normal 0.02 for
    /// fine-tuning), biases 0, LayerNorm (1, 0), q/v biases 0 (docs/method.md §2.8).
    public static func fresh(
        width c: Int, heads: Int, hidden: Int, style: QKVBiasStyle, dropPath: Float = 0,
        initWeight: LinearInit, using rng: inout SplitMix64
    ) -> ViTBlock {
        let attn = Attention(
            qkvWeight: initWeight.make([3 * c, c], using: &rng),
            qkvBias: style == .combined ? Tensor.zeros([3 * c]) : nil,
            qBias: style == .separateQV ? Tensor.zeros([c]) : nil,
            vBias: style == .separateQV ? Tensor.zeros([c]) : nil,
            projWeight: initWeight.make([c, c], using: &rng), projBias: Tensor.zeros([c]), heads: heads)
        let mlp = MLP(
            fc1: Linear(weight: initWeight.make([hidden, c], using: &rng), bias: Tensor.zeros([hidden])),
            fc2: Linear(weight: initWeight.make([c, hidden], using: &rng), bias: Tensor.zeros([c])))
        return ViTBlock(norm1: LayerNorm(dimension: c), attn: attn, norm2: LayerNorm(dimension: c), mlp: mlp, dropPath: dropPath)
    }

    /// A fresh video encoder: the tubelet embedding by PyTorch's default Conv3d init (U(±1/√fan_in), weight then
    /// bias) and VideoMAE-style blocks by `initWeight`, with stochastic-depth rates rising to `dropPath`. Models are
    /// built this way by shape before a checkpoint's tensors are read into them.
    public static func freshVideoEncoder(
        _ config: ModelConfig, dropPath: Float = 0, initWeight: LinearInit,
        using rng: inout SplitMix64
    ) -> (PatchEmbed, [ViTBlock]) {
        let (d, p, t) = (config.embedDim, config.patchSize, config.tubeletSize)
        let geometry = PatchGeometry(frames: config.numFrames, height: config.inputSize, width: config.inputSize, tubelet: t, patch: p)
        let bound = 1 / Float(geometry.patchSize).squareRoot()
        let patch = PatchEmbed(
            weight: Tensor.uniform([d, geometry.patchSize], bound: bound, using: &rng),
            bias: Tensor.uniform([d], bound: bound, using: &rng), geometry: geometry)
        let rates = dropPathRates(dropPath, depth: config.depth)
        let blocks = (0..<config.depth).map {
            fresh(
                width: d, heads: config.numHeads, hidden: config.mlpHidden, style: .separateQV,
                dropPath: rates[$0], initWeight: initWeight, using: &rng)
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
