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

    public func callAsFunction(_ x: Tensor) -> Tensor { fc2(geluForward(fc1(x))) }

    public func forward(_ x: Tensor) -> (Tensor, Cache) {
        let (h, c1) = fc1.forward(x)
        let (y, c2) = fc2.forward(geluForward(h))
        return (y, Cache(fc1: c1, hidden: h, fc2: c2))
    }

    public mutating func backward(_ dy: Tensor, _ cache: Cache) -> Tensor {
        let dAct = fc2.backward(dy, cache.fc2)!
        return fc1.backward(geluBackward(dAct, input: cache.hidden), cache.fc1)!
    }

    public mutating func visitParameters(prefix: String, _ visit: (String, inout Parameter) -> Void) {
        fc1.visitParameters(prefix: prefix + "fc1.", visit)
        fc2.visitParameters(prefix: prefix + "fc2.", visit)
    }
}
