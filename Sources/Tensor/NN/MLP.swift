/// The transformer MLP: fc2(GELU(fc1(x))), fc1: C -> hidden, fc2: hidden -> C.
public struct MLP: ParameterContainer, Sendable {
    public var fc1: Linear
    public var fc2: Linear

    public struct Cache: Sendable { let fc1: Linear.Cache, hidden: Tensor, fc2: Linear.Cache }

    public init(fc1: Linear, fc2: Linear) {
        precondition(fc1.outFeatures == fc2.inFeatures, "MLP fc1 \(fc1.weight.value.shape) vs fc2 \(fc2.weight.value.shape)")
        self.fc1 = fc1
        self.fc2 = fc2
    }

    /// Inference.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        if let y = OpProfile.op(.linear, { fusedBF16(x) }) { return y }
        let h = fc1(x)
        return fc2(OpProfile.op(.gelu) { geluForward(h) })
    }

    /// Inference in bf16 with packed weights (a `WeightPacks` scope): fc1's product adds the bias, applies GELU and
    /// stores bf16, which fc2's product reads as it is. That rounding is the one fc2's product applies to its input
    /// anyway, so the only difference from the unfused path is oneDNN's GELU for ours; the [rows, hidden] activation
    /// is written once, in half the bytes, instead of written, read and written by GELU, and read again to be rounded.
    /// Nil where the path does not apply.
    private func fusedBF16(_ x: Tensor) -> Tensor? {
        let rows = x.rowCount, hidden = fc1.outFeatures
        guard ComputePrecision.current == .bf16, let packs = WeightPacks.current, rows >= packs.minimumRows else { return nil }
        var h16 = [UInt16](unsafeUninitializedCapacity: rows * hidden) { _, count in count = rows * hidden }
        var y = Tensor(unfilled: Array(x.shape.dropLast()) + [fc2.outFeatures])
        let first = x.withUnsafeBufferPointer { px in
            h16.withUnsafeMutableBytes { ph in
                withOptionalPointer(fc1.bias?.value) { bias in
                    packedProduct(
                        fc1.weight.value, transposed: true, rows: rows, a: UnsafeRawPointer(px.baseAddress!), bias: bias,
                        c: ph.baseAddress!, cBF16: true, gelu: true, precision: .bf16)
                }
            }
        }
        guard first else { return nil }
        let second = h16.withUnsafeBytes { ph in
            y.withUnsafeMutableBufferPointer { py in
                withOptionalPointer(fc2.bias?.value) { bias in
                    packedProduct(
                        fc2.weight.value, transposed: true, rows: rows, a: ph.baseAddress!, aBF16: true, bias: bias,
                        c: UnsafeMutableRawPointer(py.baseAddress!), precision: .bf16)
                }
            }
        }
        return second ? y : nil
    }

    public func forward(_ x: Tensor) -> (Tensor, Cache) {
        let (h, c1) = fc1.forward(x)
        let (y, c2) = fc2.forward(OpProfile.op(.gelu) { geluForward(h) })
        return (y, Cache(fc1: c1, hidden: h, fc2: c2))
    }

    public mutating func backward(_ dy: Tensor, _ cache: Cache) -> Tensor {
        let dAct = fc2.backward(dy, cache.fc2)!
        return fc1.backward(OpProfile.op(.gelu) { geluBackward(dAct, input: cache.hidden) }, cache.fc1)!
    }

    public mutating func visitParameters(prefix: String, _ visit: (String, inout Parameter) -> Void) {
        fc1.visitParameters(prefix: prefix + "fc1.", visit)
        fc2.visitParameters(prefix: prefix + "fc2.", visit)
    }
}
