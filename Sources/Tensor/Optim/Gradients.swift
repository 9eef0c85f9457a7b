/// Gradient utilities: global norm, clipping, and accumulation over micro-batches.

extension ParameterContainer {
    /// The L2 norm of all trainable gradients together (PyTorch `clip_grad_norm_` with norm type 2).
    public mutating func gradientNorm() -> Double {
        var total = 0.0
        visitParameters(prefix: "") { _, p in if p.trainable && p.hasGrad { total += p.grad.sumOfSquares() } }
        return total.squareRoot()
    }

    /// Scales all gradients so that their global norm is at most `maxNorm`; returns the norm before clipping.
    /// As in PyTorch: coefficient = maxNorm / (norm + 1e-6), applied only when below 1.
    @discardableResult
    public mutating func clipGradients(maxNorm: Double) -> Double {
        let norm = gradientNorm()
        let coefficient = maxNorm / (norm + 1e-6)
        if coefficient < 1 {
            visitParameters(prefix: "") { _, p in
                if p.trainable && p.hasGrad {
                    var g = p.grad
                    g.scale(by: Float(coefficient))
                    p.setGrad(g)
                }
            }
        }
        return norm
    }

    /// Multiplies every gradient by `factor` (e.g. 1 / accumulation steps).
    public mutating func scaleGradients(by factor: Float) {
        visitParameters(prefix: "") { _, p in
            if p.trainable && p.hasGrad {
                var g = p.grad
                g.scale(by: factor)
                p.setGrad(g)
            }
        }
    }
}

/// Counts micro-batches for gradient accumulation: gradients add up over `steps` micro-batches (each loss scaled
/// by `lossScale`), and the optimiser steps when `isUpdateStep` is true.
public struct GradientAccumulation: Sendable, Codable, Equatable {
    public let steps: Int
    public private(set) var microStep: Int = 0

    public init(steps: Int) {
        precondition(steps >= 1, "accumulation steps must be at least 1, got \(steps)")
        self.steps = steps
    }

    /// The factor applied to each micro-batch's loss gradient (1 / steps).
    public var lossScale: Float { 1 / Float(steps) }

    /// Records one micro-batch; returns true when this completes an update (the caller then steps and zeroes).
    public mutating func record() -> Bool {
        microStep += 1
        return microStep % steps == 0
    }

    /// The optimizer-step index the current micro-batch belongs to.
    public var updateIndex: Int { microStep / steps }
}
