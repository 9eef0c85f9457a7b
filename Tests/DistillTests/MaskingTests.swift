import Tensor
import TestSupport
import Testing

@testable import Distill

@Suite("masks")
struct MaskingTests {
    @Test("tube masks at 0.9 on 16×224²: 176 masked per slice, the same pattern in all 8 slices, 1408 in all")
    func tube() {
        let g = MaskGenerator(kind: .tube, ratio: 0.9, timeSlices: 8, tokensPerSlice: 196)
        #expect(g.maskedCount == 1408 && g.visibleCount == 160)
        var rng = SplitMix64(seed: 1)
        let masks = g.make(batch: 3, using: &rng)
        #expect(masks.count == 3 * 1568)
        for s in 0..<3 {
            let sample = Array(masks[s * 1568..<(s + 1) * 1568])
            let slice0 = Array(sample[0..<196])
            #expect(slice0.filter { $0 }.count == 176)
            for t in 1..<8 { #expect(Array(sample[t * 196..<(t + 1) * 196]) == slice0) }
        }
        #expect(Array(masks[0..<196]) != Array(masks[1568..<1568 + 196]), "each sample draws its own pattern")
    }

    @Test("random masks at 0.9: int(0.9·1568) = 1411 masked anywhere; the fixture's tube ratio 0.75 gives 12 of 16")
    func random() {
        let g = MaskGenerator(kind: .random, ratio: 0.9, timeSlices: 8, tokensPerSlice: 196)
        #expect(g.maskedCount == 1411)
        var rng = SplitMix64(seed: 2)
        #expect(g.make(batch: 2, using: &rng).filter { $0 }.count == 2 * 1411)
        #expect(MaskGenerator(kind: .tube, ratio: 0.75, timeSlices: 8, tokensPerSlice: 16).maskedCount == 96)
    }

    @Test("the same generator state gives the same masks")
    func reproducible() {
        let g = MaskGenerator(kind: .tube, ratio: 0.75, timeSlices: 8, tokensPerSlice: 16)
        var a = SplitMix64(seed: 9), b = SplitMix64(seed: 9)
        #expect(g.make(batch: 4, using: &a) == g.make(batch: 4, using: &b))
    }

    @Test("gathered targets come in ascending masked-token order")
    func ascendingGather() {
        // features whose value is the token index: the gathered rows must be the masked indices in order
        let n = 8, mask = [false, true, true, false, true, false, false, true]
        let features = Tensor(shape: [1, n, 1], (0..<n).map(Float.init))
        #expect(maskedTargets(features: features, mask: mask, normalize: false).storage == [1, 2, 4, 7])
    }
}
