// swift-format-ignore-file
// (Pointer closures are nested on one line each, so that the loop bodies keep one indentation level.)
import CKernels
import Foundation

/// The regression losses of docs/method.md §5.4, all with mean reduction over every element.
public enum RegressionLoss: String, Codable, Sendable, CaseIterable {
    /// 0.5·d² when |d| < 1, else |d| − 0.5 (PyTorch SmoothL1Loss, β = 1).
    case smoothL1 = "smooth-l1"
    /// d² (MSELoss).
    case l2
    /// |d| (L1Loss).
    case l1
}

/// Loss value (accumulated in Double) and its gradient with respect to `prediction`.
public func regressionLoss(_ kind: RegressionLoss, prediction: Tensor, target: Tensor) -> (loss: Double, grad: Tensor) {
    precondition(prediction.shape == target.shape, "loss: prediction \(prediction.shape) vs target \(target.shape)")
    let n = prediction.count
    var grad = Tensor(unfilled: prediction.shape)  // every element is written
    let inv = 1 / Float(n)
    let grain = 16_384, blocks = (n + grain - 1) / grain
    var partial = [Double](repeating: 0, count: blocks)
    let code: Int32 = switch kind { case .smoothL1: 0; case .l2: 1; case .l1: 2 }
    prediction.withUnsafeBufferPointer { pp in target.withUnsafeBufferPointer { pt in
    grad.withUnsafeMutableBufferPointer { pg in partial.withUnsafeMutableBufferPointer { pl in
        let p = pp.baseAddress!, t = pt.baseAddress!, g = pg.baseAddress!, l = pl.baseAddress!
        // Each block's sum in 16 partials (CKernels' reductions.c); the blocks' sums added in order.
        parallelBlocks(blocks) { blk in
            let lo = blk * grain
            l[blk] = mvd_regression_loss_sum(code, p + lo, t + lo, g + lo, min(n, lo + grain) - lo, inv, 0)
        }
    }}}}
    return (partial.reduce(0, +) / Double(n), grad)
}

/// Cross-entropy with soft targets, averaged over the batch: mean_b Σ_k −t[b,k] · log softmax(z[b])[k].
/// logits, targets: [B, K]. Returns the loss and d loss / d logits = (softmax(z) · Σ_k t − t) / B.
public func softTargetCrossEntropy(logits: Tensor, targets: Tensor) -> (loss: Double, grad: Tensor) {
    precondition(logits.shape == targets.shape && logits.rank == 2, "cross-entropy: logits \(logits.shape) vs targets \(targets.shape)")
    let (b, k) = (logits.shape[0], logits.shape[1])
    let probs = softmaxForward(logits)
    var grad = Tensor(shape: logits.shape)
    var total = 0.0
    for s in 0..<b {
        var mx = -Float.infinity
        for j in 0..<k { mx = max(mx, logits.storage[s * k + j]) }
        var sumExp = 0.0
        for j in 0..<k { sumExp += Foundation.exp(Double(logits.storage[s * k + j] - mx)) }
        let logZ = Double(mx) + Foundation.log(sumExp)
        var mass: Float = 0
        for j in 0..<k {
            let t = targets.storage[s * k + j]
            total -= Double(t) * (Double(logits.storage[s * k + j]) - logZ)
            mass += t
        }
        for j in 0..<k {
            grad.storage[s * k + j] = (probs.storage[s * k + j] * mass - targets.storage[s * k + j]) / Float(b)
        }
    }
    return (total / Double(b), grad)
}
