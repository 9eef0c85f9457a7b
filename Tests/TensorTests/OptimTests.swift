import CKernels
import Foundation
import TestSupport
import Testing

@testable import Tensor

/// A one-parameter-pair model for optimiser tests.
private struct TwoParameters: ParameterContainer {
    var weight = Parameter(Tensor(shape: [1, 2], [1.0, -2.0]))
    var bias = Parameter(Tensor(shape: [1], [0.5]))
    mutating func visitParameters(prefix: String, _ visit: (String, inout Parameter) -> Void) {
        visit(prefix + "layer.weight", &weight)
        visit(prefix + "layer.bias", &bias)
    }
}

@Suite("optimisation")
struct OptimTests {
    @Test("AdamW matches hand-computed values for three steps, with decay on weights only")
    func adamW() {
        var model = TwoParameters()
        var opt = AdamW(beta1: 0.9, beta2: 0.95, eps: 1e-8)
        let grads: [[Float]] = [[0.5, -1], [0.25, 0.5], [-1, 2]]
        let biasGrads: [Float] = [2, 2, -1]
        let (lr, wd) = (Float(0.1), Float(0.05))
        // Hand computation in Double of torch.optim.AdamW's update.
        var w: [Double] = [1, -2], b = 0.5
        var m = [0.0, 0.0], v = [0.0, 0.0], mb = 0.0, vb = 0.0
        for t in 1...3 {
            model.weight.setGrad(Tensor(shape: [1, 2], grads[t - 1]))
            model.bias.setGrad(Tensor(shape: [1], [biasGrads[t - 1]]))
            opt.step(&model, lr: lr, weightDecay: wd) { name, shape in mvdDecayGroup(name: name, shape: shape) }
            let bc1 = 1 - pow(0.9, Double(t)), bc2 = 1 - pow(0.95, Double(t))
            for i in 0..<2 {
                let g = Double(grads[t - 1][i])
                w[i] *= 1 - 0.1 * 0.05
                m[i] = 0.9 * m[i] + 0.1 * g
                v[i] = 0.95 * v[i] + 0.05 * g * g
                w[i] -= 0.1 / bc1 * m[i] / (v[i].squareRoot() / bc2.squareRoot() + 1e-8)
            }
            let gb = Double(biasGrads[t - 1])  // bias: no decay
            mb = 0.9 * mb + 0.1 * gb
            vb = 0.95 * vb + 0.05 * gb * gb
            b -= 0.1 / bc1 * mb / (vb.squareRoot() / bc2.squareRoot() + 1e-8)
            let rw = closeness(model.weight.value.storage, w, atol: 1e-6, rtol: 1e-6, label: "weight step \(t)")
            #expect(rw.ok, "\(rw)")
            #expect(abs(Double(model.bias.value.storage[0]) - b) < 1e-6)
        }
        // First step of Adam moves each element by about lr (the sign of the gradient).
        #expect(opt.state["layer.weight"]?.step == 3)
    }

    @Test("the AdamW kernel gives the scalar loop's bits on every element, 16 lanes at a time and in the tail")
    func adamWKernelBits() {
        let n = 16 * 37 + 11
        var rng = SplitMix64(seed: 12)
        let g = Tensor.uniform([n], bound: 3, using: &rng).storage
        var (w, m) = (Tensor.uniform([n], bound: 1, using: &rng).storage, Tensor.uniform([n], bound: 0.1, using: &rng).storage)
        var v = Tensor.uniform([n], bound: 0.01, using: &rng).storage.map { abs($0) }
        let (decay, b1, b2, stepSize, q, eps): (Float, Float, Float, Float, Float, Float) = (0.995, 0.9, 0.95, 1.3e-3, 0.31, 1e-8)
        // The reference: the element loop written out in Swift, no fused multiply-adds.
        var (rw, rm, rv) = (w, m, v)
        for i in 0..<n {
            rw[i] *= decay
            rm[i] = b1 * rm[i] + (1 - b1) * g[i]
            rv[i] = b2 * rv[i] + (1 - b2) * g[i] * g[i]
            rw[i] -= stepSize * rm[i] / (rv[i].squareRoot() / q + eps)
        }
        var (pw, pm, pv) = (w, m, v)
        mvd_adamw_update_portable(&pw, &pm, &pv, g, n, decay, b1, b2, stepSize, q, eps)
        mvd_adamw_update(&w, &m, &v, g, n, decay, b1, b2, stepSize, q, eps)
        for (name, got, portable, want) in [("w", w, pw, rw), ("m", m, pm, rm), ("v", v, pv, rv)] {
            func differing(_ x: [Float]) -> Int { zip(x, want).filter { $0.bitPattern != $1.bitPattern }.count }
            #expect(differing(got) == 0, "\(name): \(differing(got)) of \(n) values of the dispatched kernel differ from the scalar loop")
            #expect(differing(portable) == 0, "\(name): \(differing(portable)) of \(n) values of the portable kernel differ")
        }
        #expect(zip(w, g).contains { $0.0 != 0 && $0.1 != 0 })  // the update ran on real values
    }

    @Test("the MVD no-decay rule: 1-D, .bias and exact skip names; mask_token_img is decayed")
    func decayGroups() {
        #expect(!mvdDecayGroup(name: "blocks.0.attn.q_bias", shape: [8]).weightDecay)
        #expect(!mvdDecayGroup(name: "head.bias", shape: [8]).weightDecay)
        #expect(!mvdDecayGroup(name: "mask_token", shape: [1, 1, 8]).weightDecay)
        #expect(mvdDecayGroup(name: "mask_token_img", shape: [1, 1, 8]).weightDecay)
        #expect(mvdDecayGroup(name: "blocks.0.attn.qkv.weight", shape: [24, 8]).weightDecay)
    }

    @Test("per-group learning-rate scale multiplies the step")
    func lrScale() {
        var a = TwoParameters(), b = TwoParameters()
        var oa = AdamW(), ob = AdamW()
        for m in [0, 1] {
            var model = m == 0 ? a : b
            model.weight.setGrad(Tensor(shape: [1, 2], [1, 1]))
            model.bias.setGrad(Tensor(shape: [1], [1]))
            if m == 0 { a = model } else { b = model }
        }
        oa.step(&a, lr: 0.01, weightDecay: 0) { _, _ in ParameterGroup(weightDecay: false, lrScale: 1) }
        ob.step(&b, lr: 0.01, weightDecay: 0) { _, _ in ParameterGroup(weightDecay: false, lrScale: 0.5) }
        // first Adam step moves by lr·scale exactly (m/√v = 1 for a constant gradient sign): 1 − 0.01 vs 1 − 0.005
        #expect(abs(a.weight.value.storage[0] - 0.99) < 1e-6)
        #expect(abs(b.weight.value.storage[0] - 0.995) < 1e-6)
    }

    @Test("warm-up from 0 then cosine to the floor, as utils.cosine_scheduler")
    func schedule() {
        // base 1, final 0.1, 10 steps, 4 warm-up: linspace(0,1,4) = 0, 1/3, 2/3, 1; then 6 cosine steps
        let s = CosineSchedule(base: 1, final: 0.1, totalSteps: 10, warmupSteps: 4)
        let expected = [0, 1.0 / 3, 2.0 / 3, 1] + (0..<6).map { 0.1 + 0.45 * (1 + cos(Double.pi * Double($0) / 6)) }
        for (i, e) in expected.enumerated() { #expect(abs(s.value(at: i) - e) < 1e-12, "step \(i)") }
        #expect(s.value(at: 3) == s.value(at: 4), "the peak appears twice (last warm-up and first cosine step)")
        let wd = CosineSchedule(base: 0.05, final: 0.05, totalSteps: 5)
        #expect((0..<5).allSatisfy { wd.value(at: $0) == 0.05 })
        #expect(abs(scaledLearningRate(1.5e-4, totalBatch: 1024) - 6e-4) < 1e-15)
        let epochs = CosineSchedule(base: 1, final: 0, epochs: 3, stepsPerEpoch: 5, warmupEpochs: 1)
        #expect(epochs.totalSteps == 15 && epochs.warmupSteps == 5)
    }

    @Test("gradient clipping scales to the maximum norm and reports the norm before")
    func clipping() {
        var model = TwoParameters()
        model.weight.setGrad(Tensor(shape: [1, 2], [3, 0]))
        model.bias.setGrad(Tensor(shape: [1], [4]))
        let norm = model.clipGradients(maxNorm: 1)
        #expect(abs(norm - 5) < 1e-9)
        #expect(abs(model.gradientNorm() - 1) < 1e-5)
        let before = model.weight.grad.storage
        model.clipGradients(maxNorm: 10)
        #expect(model.weight.grad.storage == before, "no change below the maximum")
    }

    @Test("gradient accumulation: two half-batches with loss/2 equal one full batch")
    func accumulation() {
        var rng = TestRandom(seed: 3)
        let w = Tensor(shape: [3, 4], rng.array(12)), x = Tensor(shape: [4, 4], rng.array(16)), t = Tensor(shape: [4, 3], rng.array(12))
        var full = Linear(weight: w, bias: nil)
        let (y, c) = full.forward(x)
        full.backward(regressionLoss(.l2, prediction: y, target: t).grad, c, needInputGrad: false)
        var acc = Linear(weight: w, bias: nil)
        var counter = GradientAccumulation(steps: 2)
        var updates = 0
        for half in 0..<2 {
            let xs = Tensor(shape: [2, 4], Array(x.storage[half * 8..<(half + 1) * 8]))
            let ts = Tensor(shape: [2, 3], Array(t.storage[half * 6..<(half + 1) * 6]))
            let (ys, cs) = acc.forward(xs)
            var g = regressionLoss(.l2, prediction: ys, target: ts).grad
            g.scale(by: counter.lossScale)
            acc.backward(g, cs, needInputGrad: false)
            if counter.record() { updates += 1 }
        }
        #expect(updates == 1)
        let r = closeness(acc.weight.grad.storage, full.weight.grad.storage, atol: 1e-6, rtol: 1e-5, label: "accumulated dW")
        #expect(r.ok, "\(r)")
    }
}
