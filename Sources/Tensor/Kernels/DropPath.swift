/// Stochastic depth (timm `drop_path`): in training, each sample's residual branch is kept with probability
/// 1 − p and scaled by 1 / (1 − p), or dropped (zero). The decision comes from the caller's generator.

/// Per-sample multipliers (0 or 1/(1−p)) for a batch of `batch` samples. All ones when p = 0.
public func dropPathScales(batch: Int, rate p: Float, using rng: inout SplitMix64) -> [Float] {
    precondition(p >= 0 && p < 1, "drop path rate must be in [0, 1), got \(p)")
    guard p > 0 else { return [Float](repeating: 1, count: batch) }
    return (0..<batch).map { _ in rng.nextUniform() < p ? 0 : 1 / (1 - p) }
}

/// y[b, ...] = x[b, ...] · scales[b]. Used for the forward and, with the same scales, the backward pass.
public func applySampleScales(_ x: Tensor, _ scales: [Float]) -> Tensor {
    precondition(x.shape.first == scales.count, "drop path: \(scales.count) scales for batch of shape \(x.shape)")
    if scales.allSatisfy({ $0 == 1 }) { return x }
    var y = x
    let per = x.count / max(1, scales.count)
    for s in 0..<scales.count {
        for i in s * per..<(s + 1) * per { y.storage[i] *= scales[s] }
    }
    return y
}
