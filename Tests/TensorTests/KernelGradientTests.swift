import Foundation
import TestSupport
import Testing

@testable import Tensor

@Suite("backward passes match finite differences")
struct KernelGradientTests {
    @Test("linear: input, weight and bias gradients")
    func linear() {
        var rng = TestRandom(seed: 1)
        let x = Tensor(shape: [2, 3, 4], rng.array(24)), r = rng.array(2 * 3 * 5)
        var layer = Linear(weight: Tensor(shape: [5, 4], rng.array(20)), bias: Tensor(shape: [5], rng.array(5)))
        let (_, cache) = layer.forward(x)
        let dx = layer.backward(upstream([2, 3, 5], r), cache)!
        let w = layer.weight.value, b = layer.bias!.value
        expectGradient(dx.storage, at: x.storage, "dx") { contract(linearForward(Tensor(shape: x.shape, $0), weight: w, bias: b), r) }
        expectGradient(layer.weight.grad.storage, at: w.storage, "dW") { contract(linearForward(x, weight: Tensor(shape: w.shape, $0), bias: b), r) }
        expectGradient(layer.bias!.grad.storage, at: b.storage, "db") { contract(linearForward(x, weight: w, bias: Tensor(shape: b.shape, $0)), r) }
    }

    @Test("layer norm with affine parameters", arguments: [1e-6, 1e-2] as [Float])
    func layerNormAffine(eps: Float) {
        var rng = TestRandom(seed: 2)
        let x = Tensor(shape: [3, 6], rng.array(18, scale: 2)), r = rng.array(18)
        let w = Tensor(shape: [6], rng.array(6).map { 1 + 0.3 * $0 }), b = Tensor(shape: [6], rng.array(6))
        var ln = LayerNorm(weight: w, bias: b, eps: eps)
        let (_, cache) = ln.forward(x)
        let dx = ln.backward(upstream(x.shape, r), cache)
        func f(_ x: Tensor, _ w: Tensor, _ b: Tensor) -> Double { contract(layerNormForward(x, weight: w, bias: b, eps: eps).0, r) }
        expectGradient(dx.storage, at: x.storage, "dx") { f(Tensor(shape: x.shape, $0), w, b) }
        expectGradient(ln.weight!.grad.storage, at: w.storage, "dw") { f(x, Tensor(shape: [6], $0), b) }
        expectGradient(ln.bias!.grad.storage, at: b.storage, "db") { f(x, w, Tensor(shape: [6], $0)) }
    }

    @Test("layer norm without affine parameters")
    func layerNormPlain() {
        var rng = TestRandom(seed: 3)
        let x = Tensor(shape: [4, 5], rng.array(20, scale: 2)), r = rng.array(20)
        var ln = LayerNorm(parameterFreeDimension: 5, eps: 1e-6)
        let (y, cache) = ln.forward(x)
        // each row of a parameter-free LayerNorm has mean 0 and (biased) variance ≈ 1
        let row0 = Array(y.storage[0..<5])
        #expect(abs(row0.reduce(0, +)) < 1e-5)
        #expect(abs(row0.map { $0 * $0 }.reduce(0, +) / 5 - 1) < 1e-4)
        let dx = ln.backward(upstream(x.shape, r), cache)
        expectGradient(dx.storage, at: x.storage, "dx") {
            contract(layerNormForward(Tensor(shape: x.shape, $0), weight: nil, bias: nil, eps: 1e-6).0, r)
        }
    }

    @Test("exact GELU: values and gradient")
    func gelu() {
        // GELU(1) = 0.5·(1 + erf(1/√2)) = 0.8413447; GELU(-1) = -0.1586553; GELU(0) = 0
        let y = geluForward(Tensor(shape: [3], [1, -1, 0]))
        let r0 = closeness(y.storage, [0.8413447, -0.1586553, 0], atol: 1e-6, rtol: 0)
        #expect(r0.ok, "\(r0)")
        var rng = TestRandom(seed: 4)
        let x = Tensor(shape: [20], rng.array(20, scale: 3)), r = rng.array(20)
        let dx = geluBackward(upstream([20], r), input: x)
        expectGradient(dx.storage, at: x.storage, "dx") { contract(geluForward(Tensor(shape: [20], $0)), r) }
    }

    @Test("softmax over rows")
    func softmax() {
        var rng = TestRandom(seed: 5)
        let x = Tensor(shape: [3, 7], rng.array(21, scale: 3)), r = rng.array(21)
        let y = softmaxForward(x)
        #expect(abs(y.storage[0..<7].reduce(0, +) - 1) < 1e-6)
        let dx = softmaxBackward(upstream(x.shape, r), output: y)
        expectGradient(dx.storage, at: x.storage, "dx") { contract(softmaxForward(Tensor(shape: x.shape, $0)), r) }
    }

    @Test("attention: both bias styles, every gradient", arguments: [QKVBiasStyle.separateQV, .combined])
    func attention(style: QKVBiasStyle) {
        var rng = TestRandom(seed: 6)
        let (b, n, c, h) = (2, 4, 6, 2)
        let x = Tensor(shape: [b, n, c], rng.array(b * n * c)), r = rng.array(b * n * c)
        func make(_ p: [String: [Float]]) -> Attention {
            Attention(
                qkvWeight: Tensor(shape: [3 * c, c], p["qkv"]!),
                qkvBias: style == .combined ? Tensor(shape: [3 * c], p["qkvb"]!) : nil,
                qBias: style == .separateQV ? Tensor(shape: [c], p["qb"]!) : nil,
                vBias: style == .separateQV ? Tensor(shape: [c], p["vb"]!) : nil,
                projWeight: Tensor(shape: [c, c], p["proj"]!), projBias: Tensor(shape: [c], p["projb"]!), heads: h)
        }
        let params: [String: [Float]] = [
            "qkv": rng.array(3 * c * c), "qkvb": rng.array(3 * c), "qb": rng.array(c),
            "vb": rng.array(c), "proj": rng.array(c * c), "projb": rng.array(c)
        ]
        var attn = make(params)
        #expect(attn.biasStyle == style)
        let (y, cache) = attn.forward(x)
        #expect(closeness(y.storage, attn(x).storage, atol: 0, rtol: 0).ok)
        let dx = attn.backward(upstream(x.shape, r), cache)
        expectGradient(dx.storage, at: x.storage, "dx") { contract(make(params)(Tensor(shape: x.shape, $0)), r) }
        var grads: [String: [Float]] = [:]
        attn.visitParameters(prefix: "") { name, p in grads[name] = p.grad.storage }
        let keyOf = ["qkv.weight": "qkv", "qkv.bias": "qkvb", "q_bias": "qb", "v_bias": "vb", "proj.weight": "proj", "proj.bias": "projb"]
        #expect(grads.count == (style == .combined ? 4 : 5))
        for (name, g) in grads {
            let key = keyOf[name]!
            expectGradient(g, at: params[key]!, name) { v in
                var p = params
                p[key] = v
                return contract(make(p)(x), r)
            }
        }
    }

    @Test("tubelet embedding: weight, bias and pixel gradients; patch order (c, t, y, x)")
    func patchEmbed() {
        var rng = TestRandom(seed: 7)
        let g = PatchGeometry(frames: 4, height: 4, width: 6, tubelet: 2, patch: 2)
        let clips = Tensor(shape: [1, 3, 4, 4, 6], rng.array(g.clipSize))
        // token 0's first values are pixels (c0, t0, y0, x0), (c0, t0, y0, x1), then (c0, t0, y1, x0)
        let p = patchify(clips, g)
        #expect(p.shape == [1, g.tokens, 24])
        #expect(p.storage[0] == clips.storage[0] && p.storage[1] == clips.storage[1] && p.storage[2] == clips.storage[6])
        #expect(unpatchify(p, g) == clips)
        let w = Tensor(shape: [5, 3, 2, 2, 2], rng.array(120)), bias = Tensor(shape: [5], rng.array(5))
        var pe = PatchEmbed(weight: w, bias: bias, geometry: g)
        let r = rng.array(g.tokens * 5)
        let (_, cache) = pe.forward(clips)
        let dClips = pe.backward(upstream([1, g.tokens, 5], r), cache, needInputGrad: true)!
        expectGradient(dClips.storage, at: clips.storage, "dclips") { contract(pe(Tensor(shape: clips.shape, $0)), r) }
        expectGradient(pe.proj.weight.grad.storage, at: w.storage, "dW") {
            contract(PatchEmbed(weight: Tensor(shape: w.shape, $0), bias: bias, geometry: g)(clips), r)
        }
    }

    @Test("gather and scatter by mask keep ascending order and are adjoint")
    func gatherScatter() {
        var rng = TestRandom(seed: 8)
        let x = Tensor(shape: [2, 5, 3], rng.array(30))
        let mask = [true, false, true, false, false, false, true, true, false, false]  // 2 selected per sample
        let gx = gatherTokens(x, mask: mask, select: true)
        #expect(gx.shape == [2, 2, 3])
        #expect(Array(gx.storage[0..<3]) == Array(x.storage[0..<3]))  // sample 0, token 0
        #expect(Array(gx.storage[3..<6]) == Array(x.storage[6..<9]))  // sample 0, token 2
        #expect(Array(gx.storage[6..<9]) == Array(x.storage[18..<21]))  // sample 1, token 1
        let visible = gatherTokens(x, mask: mask, select: false)
        #expect(visible.shape == [2, 3, 3])
        let r = rng.array(12)
        let dx = scatterTokens(upstream([2, 2, 3], r), mask: mask, select: true, tokens: 5)
        expectGradient(dx.storage, at: x.storage, "dx") { contract(gatherTokens(Tensor(shape: x.shape, $0), mask: mask, select: true), r) }
    }

    @Test("mean pooling over tokens")
    func meanPool() {
        var rng = TestRandom(seed: 9)
        let x = Tensor(shape: [2, 3, 4], rng.array(24)), r = rng.array(8)
        let y = meanPoolForward(x)
        #expect(abs(y.storage[0] - (x.storage[0] + x.storage[4] + x.storage[8]) / 3) < 1e-6)
        let dx = meanPoolBackward(upstream([2, 4], r), tokens: 3)
        expectGradient(dx.storage, at: x.storage, "dx") { contract(meanPoolForward(Tensor(shape: x.shape, $0)), r) }
    }

    @Test("regression losses: hand values and gradients", arguments: RegressionLoss.allCases)
    func regression(kind: RegressionLoss) {
        // d = [0.5, -2, 1.5, -0.25]: SmoothL1 = (0.125 + 1.5 + 1.0 + 0.03125)/4; L2 = (0.25+4+2.25+0.0625)/4; L1 = 4.25/4
        let p = Tensor(shape: [2, 2], [1.5, -1, 2, 0.75]), t = Tensor(shape: [2, 2], [1, 1, 0.5, 1])
        let expected: [RegressionLoss: Double] = [.smoothL1: 2.65625 / 4, .l2: 6.5625 / 4, .l1: 4.25 / 4]
        let (loss, grad) = regressionLoss(kind, prediction: p, target: t)
        #expect(abs(loss - expected[kind]!) < 1e-7)
        expectGradient(grad.storage, at: p.storage, "dpred") { regressionLoss(kind, prediction: Tensor(shape: [2, 2], $0), target: t).loss }
    }

    @Test("soft-target cross-entropy: hand value and gradient")
    func crossEntropy() {
        // logits [0, ln 3] -> softmax [0.25, 0.75]; target [1, 0]: loss = −ln 0.25
        let (l0, _) = softTargetCrossEntropy(logits: Tensor(shape: [1, 2], [0, Float(log(3.0))]), targets: Tensor(shape: [1, 2], [1, 0]))
        #expect(abs(l0 - log(4.0)) < 1e-6)
        var rng = TestRandom(seed: 10)
        let z = Tensor(shape: [3, 4], rng.array(12, scale: 2))
        let t = Tensor(shape: [3, 4], [0.7, 0.1, 0.1, 0.1, 0.025, 0.925, 0.025, 0.025, 0.4, 0.2, 0.2, 0.2])
        let (_, grad) = softTargetCrossEntropy(logits: z, targets: t)
        expectGradient(grad.storage, at: z.storage, "dlogits") { softTargetCrossEntropy(logits: Tensor(shape: [3, 4], $0), targets: t).loss }
    }

    @Test("drop path keeps or drops whole samples, scaled by 1/(1-p), reproducibly from the seed")
    func dropPath() {
        var g1 = SplitMix64(seed: 42), g2 = SplitMix64(seed: 42)
        let s1 = dropPathScales(batch: 64, rate: 0.25, using: &g1)
        let s2 = dropPathScales(batch: 64, rate: 0.25, using: &g2)
        #expect(s1 == s2)
        #expect(Set(s1).isSubset(of: [0, Float(1) / 0.75]))
        let dropped = s1.filter { $0 == 0 }.count
        #expect(dropped > 4 && dropped < 32)
        var g3 = SplitMix64(seed: 1)
        #expect(dropPathScales(batch: 5, rate: 0, using: &g3) == [1, 1, 1, 1, 1])
        let x = Tensor(shape: [2, 3], [1, 2, 3, 4, 5, 6])
        #expect(applySampleScales(x, [0, 2]).storage == [0, 0, 0, 8, 10, 12])
    }
}
