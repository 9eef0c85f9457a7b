import CKernels
import Foundation

/// Which optimiser group a parameter belongs to: whether it is decayed, and its learning-rate multiplier.
public struct ParameterGroup: Sendable, Equatable, Hashable {
    public var weightDecay: Bool
    public var lrScale: Float
    public init(weightDecay: Bool, lrScale: Float = 1) {
        self.weightDecay = weightDecay
        self.lrScale = lrScale
    }
}

/// The MVD / timm no-decay rule (docs/method.md §7.2): no decay for 1-D tensors, names ending in `.bias`, and names
/// exactly in `skip` (the student's `{pos_embed, cls_token, mask_token}` — so `mask_token_img` IS decayed).
public func mvdDecayGroup(name: String, shape: [Int], skip: Set<String> = ["pos_embed", "cls_token", "mask_token"]) -> ParameterGroup {
    let noDecay = shape.count == 1 || name.hasSuffix(".bias") || skip.contains(name)
    return ParameterGroup(weightDecay: !noDecay)
}

/// AdamW with decoupled weight decay (PyTorch `torch.optim.AdamW` semantics), per-parameter step counts,
/// and parameter groups chosen by a function of the parameter's name and shape.
public struct AdamW: Sendable, Codable {
    public var beta1: Float
    public var beta2: Float
    public var eps: Float

    /// Per-parameter moments, keyed by parameter name.
    public struct Moments: Sendable, Codable {
        public var step: Int
        public var m: [Float]
        public var v: [Float]
        public init(step: Int, m: [Float], v: [Float]) {
            self.step = step
            self.m = m
            self.v = v
        }
    }
    public private(set) var state: [String: Moments] = [:]

    public init(beta1: Float = 0.9, beta2: Float = 0.999, eps: Float = 1e-8) {
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
    }

    /// One update of every trainable parameter that has a gradient.
    ///
    /// For each parameter: p ← p·(1 − lr·s·wd) when decayed; m ← β1 m + (1−β1) g; v ← β2 v + (1−β2) g²;
    /// p ← p − lr·s/(1−β1ᵗ) · m / (√v / √(1−β2ᵗ) + eps), with s the group's lr scale.
    public mutating func step<M: ParameterContainer>(
        _ model: inout M, lr: Float, weightDecay: Float,
        group: (String, [Int]) -> ParameterGroup
    ) {
        model.visitParameters(prefix: "") { name, p in
            guard p.trainable, p.hasGrad else { return }
            let g = group(name, p.value.shape)
            update(name: name, parameter: &p, lr: lr * g.lrScale, weightDecay: g.weightDecay ? weightDecay : 0)
        }
    }

    private mutating func update(name: String, parameter p: inout Parameter, lr: Float, weightDecay: Float) {
        let n = p.value.count
        var s = state[name] ?? Moments(step: 0, m: [Float](repeating: 0, count: n), v: [Float](repeating: 0, count: n))
        state[name] = nil  // keep the arrays uniquely referenced while updating
        s.step += 1
        let bc1 = 1 - Foundation.pow(Double(beta1), Double(s.step))
        let bc2 = 1 - Foundation.pow(Double(beta2), Double(s.step))
        let stepSize = Float(Double(lr) / bc1), bc2Sqrt = Float(bc2.squareRoot())
        let decay = 1 - lr * weightDecay
        let (b1, b2, eps) = (beta1, beta2, eps)
        let grad = p.grad
        grad.withUnsafeBufferPointer { pg in
            p.value.withUnsafeMutableBufferPointer { pv in
                s.m.withUnsafeMutableBufferPointer { pm in
                    s.v.withUnsafeMutableBufferPointer { pvv in
                        let g = pg.baseAddress!, w = pv.baseAddress!, m = pm.baseAddress!, v = pvv.baseAddress!
                        // (in C: the Swift loop stayed scalar, a square root and a division at a time)
                        parallelRanges(n, grain: 32_768) { r in
                            let i = r.lowerBound
                            mvd_adamw_update(w + i, m + i, v + i, g + i, r.count, decay, b1, b2, stepSize, bc2Sqrt, eps)
                        }
                    }
                }
            }
        }
        state[name] = s
    }

    /// Replaces the optimiser state (resuming a run).
    public mutating func restore(_ state: [String: Moments]) { self.state = state }
}
