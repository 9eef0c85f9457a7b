import TestSupport
import Testing

@testable import Tensor

@Suite("matrix products")
struct MatmulTests {
    @Test(
        "products match the naive reference for every transpose combination",
        arguments: [(false, false), (true, false), (false, true), (true, true)])
    func transposes(_ transA: Bool, _ transB: Bool) {
        var rng = TestRandom(seed: 7)
        let (m, k, n) = (37, 19, 23)
        let a = Tensor(shape: transA ? [k, m] : [m, k], rng.array(m * k))
        let b = Tensor(shape: transB ? [n, k] : [k, n], rng.array(k * n))
        let fast = matmul(a, b, transA: transA, transB: transB)
        let slow = matmulNaive(a, b, transA: transA, transB: transB)
        #expect(fast.shape == [m, n])
        let r = closeness(fast.storage, slow.storage, atol: 1e-5, rtol: 1e-5, label: "matmul")
        #expect(r.ok, "\(r)")
    }

    @Test("batched products with a per-batch or a shared right operand")
    func batched() {
        var rng = TestRandom(seed: 8)
        let a = Tensor(shape: [3, 5, 4], rng.array(60))
        let bBatched = Tensor(shape: [3, 4, 6], rng.array(72))
        let bShared = Tensor(shape: [6, 4], rng.array(24))
        let r1 = closeness(matmul(a, bBatched).storage, matmulNaive(a, bBatched).storage, atol: 1e-5, rtol: 1e-5)
        let r2 = closeness(
            matmul(a, bShared, transB: true).storage, matmulNaive(a, bShared, transB: true).storage,
            atol: 1e-5, rtol: 1e-5)
        #expect(r1.ok, "\(r1)")
        #expect(r2.ok, "\(r2)")
        #expect(matmul(a, bShared, transB: true).shape == [3, 5, 6])
    }

    @Test("a ViT-sized product agrees with the reference (split over threads)")
    func large() {
        var rng = TestRandom(seed: 9)
        let (m, k, n) = (160, 96, 130)
        let a = Tensor(shape: [m, k], rng.array(m * k)), b = Tensor(shape: [n, k], rng.array(n * k))
        let r = closeness(
            matmul(a, b, transB: true).storage, matmulNaive(a, b, transB: true).storage,
            atol: 1e-4, rtol: 1e-5)
        #expect(r.ok, "\(r)")
    }

    @Test("the hand-computed 2x2 product")
    func tiny() {
        // [1 2; 3 4] · [5 6; 7 8] = [19 22; 43 50]
        let c = matmul(Tensor(shape: [2, 2], [1, 2, 3, 4]), Tensor(shape: [2, 2], [5, 6, 7, 8]))
        #expect(c.storage == [19, 22, 43, 50])
    }
}
