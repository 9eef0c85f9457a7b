import Tensor

extension ImageTeacher {
    /// A teacher with random weights (benchmarks; timings do not depend on the values).
    public init(random config: ModelConfig, using rng: inout SplitMix64) {
        let (d, p) = (config.embedDim, config.patchSize)
        var tensors: [String: Tensor] = [
            "cls_token": Tensor.uniform([1, 1, d], bound: 0.02, using: &rng),
            "patch_embed.proj.weight": Tensor.uniform([d, 3, p, p], bound: 0.02, using: &rng),
            "patch_embed.proj.bias": Tensor.zeros([d]),
            "norm.weight": Tensor(shape: [d], repeating: 1), "norm.bias": Tensor.zeros([d])
        ]
        for i in 0..<config.depth { tensors.merge(randomBlock(prefix: "blocks.\(i).", config, combined: true, &rng)) { a, _ in a } }
        self = try! ImageTeacher(weights: WeightReader(tensors, source: "random"), config: config)
    }
}

extension VideoTeacher {
    /// A teacher with random weights (benchmarks; timings do not depend on the values).
    public init(random config: ModelConfig, using rng: inout SplitMix64) {
        let (d, p, t) = (config.embedDim, config.patchSize, config.tubeletSize)
        var tensors: [String: Tensor] = [
            "patch_embed.proj.weight": Tensor.uniform([d, 3, t, p, p], bound: 0.02, using: &rng),
            "patch_embed.proj.bias": Tensor.zeros([d]),
            "norm.weight": Tensor(shape: [d], repeating: 1), "norm.bias": Tensor.zeros([d])
        ]
        for i in 0..<config.depth { tensors.merge(randomBlock(prefix: "blocks.\(i).", config, combined: false, &rng)) { a, _ in a } }
        self = try! VideoTeacher(weights: WeightReader(tensors, source: "random"), config: config)
    }
}

private func randomBlock(prefix: String, _ c: ModelConfig, combined: Bool, _ rng: inout SplitMix64) -> [String: Tensor] {
    let (d, h) = (c.embedDim, c.mlpHidden)
    func u(_ s: [Int]) -> Tensor { Tensor.uniform(s, bound: (6 / Float(s[0] + s[1])).squareRoot(), using: &rng) }
    var out: [String: Tensor] = [
        "norm1.weight": Tensor(shape: [d], repeating: 1), "norm1.bias": Tensor.zeros([d]),
        "attn.qkv.weight": u([3 * d, d]), "attn.proj.weight": u([d, d]), "attn.proj.bias": Tensor.zeros([d]),
        "norm2.weight": Tensor(shape: [d], repeating: 1), "norm2.bias": Tensor.zeros([d]),
        "mlp.fc1.weight": u([h, d]), "mlp.fc1.bias": Tensor.zeros([h]), "mlp.fc2.weight": u([d, h]), "mlp.fc2.bias": Tensor.zeros([d])
    ]
    if combined {
        out["attn.qkv.bias"] = Tensor.zeros([3 * d])
    } else {
        out["attn.q_bias"] = Tensor.zeros([d])
        out["attn.v_bias"] = Tensor.zeros([d])
    }
    return out.reduce(into: [:]) { $0[prefix + $1.key] = $1.value }
}
