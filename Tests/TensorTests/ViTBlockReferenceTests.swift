import Foundation
import TestSupport
import Testing

@testable import Tensor

/// A pre-norm ViT block written with plain loops in Double: the reference for `ViTBlock`.
/// Parameters are passed flat by name (timm keys) so finite differences can perturb any one of them.
private struct ReferenceBlock {
    let c: Int, heads: Int, hidden: Int, eps = 1e-6
    let style: QKVBiasStyle

    func layerNorm(_ x: [Double], _ w: [Double], _ b: [Double], rows: Int) -> [Double] {
        var y = x
        for r in 0..<rows {
            let row = Array(x[r * c..<(r + 1) * c])
            let mean = row.reduce(0, +) / Double(c)
            let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(c)
            for j in 0..<c { y[r * c + j] = (row[j] - mean) / (variance + eps).squareRoot() * w[j] + b[j] }
        }
        return y
    }

    func linear(_ x: [Double], _ w: [Double], _ b: [Double]?, rows: Int, inF: Int, outF: Int) -> [Double] {
        var y = [Double](repeating: 0, count: rows * outF)
        for r in 0..<rows {
            for o in 0..<outF {
                var s = b?[o] ?? 0
                for i in 0..<inF { s += x[r * inF + i] * w[o * inF + i] }
                y[r * outF + o] = s
            }
        }
        return y
    }

    func forward(_ x: [Double], batch: Int, tokens n: Int, _ p: [String: [Double]]) -> [Double] {
        let rows = batch * n, hd = c / heads
        let h1 = layerNorm(x, p["norm1.weight"]!, p["norm1.bias"]!, rows: rows)
        var qkvBias = [Double](repeating: 0, count: 3 * c)
        if style == .combined { qkvBias = p["attn.qkv.bias"]! }
        if style == .separateQV {
            for j in 0..<c {
                qkvBias[j] = p["attn.q_bias"]![j]
                qkvBias[2 * c + j] = p["attn.v_bias"]![j]
            }
        }
        let qkv = linear(h1, p["attn.qkv.weight"]!, qkvBias, rows: rows, inF: c, outF: 3 * c)
        var o = [Double](repeating: 0, count: rows * c)
        for b in 0..<batch {
            for h in 0..<heads {
                for i in 0..<n {
                    var logits = [Double](repeating: 0, count: n)
                    for j in 0..<n {
                        for d in 0..<hd {
                            logits[j] += qkv[(b * n + i) * 3 * c + h * hd + d] * qkv[(b * n + j) * 3 * c + c + h * hd + d]
                        }
                    }
                    logits = logits.map { $0 / Double(hd).squareRoot() }
                    let m = logits.max()!, e = logits.map { Foundation.exp($0 - m) }, z = e.reduce(0, +)
                    for j in 0..<n {
                        for d in 0..<hd {
                            o[(b * n + i) * c + h * hd + d] += e[j] / z * qkv[(b * n + j) * 3 * c + 2 * c + h * hd + d]
                        }
                    }
                }
            }
        }
        let a = linear(o, p["attn.proj.weight"]!, p["attn.proj.bias"]!, rows: rows, inF: c, outF: c)
        let x1 = zip(x, a).map { $0 + $1 }
        let h2 = layerNorm(x1, p["norm2.weight"]!, p["norm2.bias"]!, rows: rows)
        let f1 = linear(h2, p["mlp.fc1.weight"]!, p["mlp.fc1.bias"]!, rows: rows, inF: c, outF: hidden)
        let g = f1.map { 0.5 * $0 * (1 + erf($0 / 2.0.squareRoot())) }
        let f2 = linear(g, p["mlp.fc2.weight"]!, p["mlp.fc2.bias"]!, rows: rows, inF: hidden, outF: c)
        return zip(x1, f2).map { $0 + $1 }
    }
}

@Suite("one pre-norm ViT block against a plain-loop reference")
struct ViTBlockReferenceTests {
    static func parameters(c: Int, hidden: Int, style: QKVBiasStyle, rng: inout TestRandom) -> [String: [Float]] {
        var p: [String: [Float]] = [
            "norm1.weight": rng.array(c).map { 1 + 0.2 * $0 }, "norm1.bias": rng.array(c, scale: 0.1),
            "attn.qkv.weight": rng.array(3 * c * c, scale: 0.5),
            "attn.proj.weight": rng.array(c * c, scale: 0.5), "attn.proj.bias": rng.array(c, scale: 0.1),
            "norm2.weight": rng.array(c).map { 1 + 0.2 * $0 }, "norm2.bias": rng.array(c, scale: 0.1),
            "mlp.fc1.weight": rng.array(hidden * c, scale: 0.5), "mlp.fc1.bias": rng.array(hidden, scale: 0.1),
            "mlp.fc2.weight": rng.array(c * hidden, scale: 0.5), "mlp.fc2.bias": rng.array(c, scale: 0.1)
        ]
        if style == .combined { p["attn.qkv.bias"] = rng.array(3 * c, scale: 0.1) }
        if style == .separateQV {
            p["attn.q_bias"] = rng.array(c, scale: 0.1)
            p["attn.v_bias"] = rng.array(c, scale: 0.1)
        }
        return p
    }

    static func block(_ p: [String: [Float]], c: Int, hidden: Int, heads: Int) -> ViTBlock {
        func t(_ k: String, _ s: [Int]) -> Tensor { Tensor(shape: s, p[k]!) }
        return ViTBlock(
            norm1: LayerNorm(weight: t("norm1.weight", [c]), bias: t("norm1.bias", [c])),
            attn: Attention(
                qkvWeight: t("attn.qkv.weight", [3 * c, c]), qkvBias: p["attn.qkv.bias"].map { Tensor(shape: [3 * c], $0) },
                qBias: p["attn.q_bias"].map { Tensor(shape: [c], $0) }, vBias: p["attn.v_bias"].map { Tensor(shape: [c], $0) },
                projWeight: t("attn.proj.weight", [c, c]), projBias: t("attn.proj.bias", [c]), heads: heads),
            norm2: LayerNorm(weight: t("norm2.weight", [c]), bias: t("norm2.bias", [c])),
            mlp: MLP(
                fc1: Linear(weight: t("mlp.fc1.weight", [hidden, c]), bias: t("mlp.fc1.bias", [hidden])),
                fc2: Linear(weight: t("mlp.fc2.weight", [c, hidden]), bias: t("mlp.fc2.bias", [c]))))
    }

    @Test("output and every gradient match the reference", arguments: [QKVBiasStyle.separateQV, .combined])
    func matchesReference(style: QKVBiasStyle) {
        let (batch, n, c, heads, hidden) = (2, 5, 8, 2, 32)
        var rng = TestRandom(seed: 11)
        let params = Self.parameters(c: c, hidden: hidden, style: style, rng: &rng)
        let x = rng.array(batch * n * c), r = rng.array(batch * n * c)
        let reference = ReferenceBlock(c: c, heads: heads, hidden: hidden, style: style)
        func refLoss(_ xs: [Double], _ ps: [String: [Double]]) -> Double {
            zip(reference.forward(xs, batch: batch, tokens: n, ps), r).map { $0 * Double($1) }.reduce(0, +)
        }
        let pd = params.mapValues { $0.map(Double.init) }, xd = x.map(Double.init)

        var block = Self.block(params, c: c, hidden: hidden, heads: heads)
        var gen = SplitMix64(seed: 0)
        let (y, cache) = block.forward(Tensor(shape: [batch, n, c], x), using: &gen)
        let out = closeness(y.storage, reference.forward(xd, batch: batch, tokens: n, pd), atol: 1e-5, rtol: 1e-5, label: "output")
        #expect(out.ok, "\(out)")
        #expect(block(Tensor(shape: [batch, n, c], x)).storage == y.storage, "inference and training forward agree")

        let dx = block.backward(Tensor(shape: [batch, n, c], r), cache)
        // Central differences of the Double reference (eps 1e-5 in Double: error far below the tolerance).
        let dxRef = (0..<xd.count).map { i -> Double in
            var up = xd, down = xd
            up[i] += 1e-5
            down[i] -= 1e-5
            return (refLoss(up, pd) - refLoss(down, pd)) / 2e-5
        }
        let rdx = closeness(dx.storage, dxRef, atol: 1e-4, rtol: 1e-3, label: "dx")
        #expect(rdx.ok, "\(rdx)")
        var checked = 0
        block.visitParameters(prefix: "") { name, p in
            let values = pd[name]!
            let g = (0..<values.count).map { i -> Double in
                var up = pd, down = pd
                up[name]![i] += 1e-5
                down[name]![i] -= 1e-5
                return (refLoss(xd, up) - refLoss(xd, down)) / 2e-5
            }
            let rep = closeness(p.grad.storage, g, atol: 1e-4, rtol: 1e-3, label: name)
            #expect(rep.ok, "\(rep)")
            checked += 1
        }
        #expect(checked == params.count)
    }

    @Test("drop path with rate > 0 changes training outputs reproducibly and its gradient still matches")
    func dropPathGradient() {
        let (batch, n, c, heads, hidden) = (4, 3, 8, 2, 16)
        var rng = TestRandom(seed: 12)
        let params = Self.parameters(c: c, hidden: hidden, style: .separateQV, rng: &rng)
        var block = Self.block(params, c: c, hidden: hidden, heads: heads)
        block.dropPath = 0.5
        let x = Tensor(shape: [batch, n, c], rng.array(batch * n * c)), r = rng.array(batch * n * c)
        var g1 = SplitMix64(seed: 3)
        let (y, cache) = block.forward(x, using: &g1)
        var g2 = SplitMix64(seed: 3)
        #expect(block.forward(x, using: &g2).0 == y, "same seed, same drop decisions")
        let dx = block.backward(Tensor(shape: x.shape, r), cache)
        expectGradient(dx.storage, at: x.storage, "dx with drop path") { v in
            var g = SplitMix64(seed: 3)
            return contract(block.forward(Tensor(shape: x.shape, v), using: &g).0, r)
        }
    }
}
