import Tensor
import Testing

@testable import Evaluate

/// Time-ordered pooling keeps the order of time that mean pooling erases.
@Suite("feature pooling")
struct FeaturePoolingTests {
    // One clip, 3 time steps of 2 tokens, width 2: token values chosen so every mean is exact.
    static let tokens = Tensor(shape: [1, 6, 2], [1, 10, 3, 30, 5, 50, 7, 70, 9, 90, 11, 110])

    @Test("time pooling is the spatial mean of each time step, in order; mean pooling is the mean of all")
    func byHand() {
        #expect(FeaturePooling.time.apply(Self.tokens, perStep: 2).storage == [2, 20, 6, 60, 10, 100])
        #expect(FeaturePooling.time.apply(Self.tokens, perStep: 2).shape == [1, 6])
        #expect(FeaturePooling.mean.apply(Self.tokens, perStep: 2).storage == [6, 60])
        #expect(FeaturePooling.time.width(tokens: 6, perStep: 2, d: 2) == 6)
    }

    @Test("reversing time changes the time-pooled features but not the mean-pooled ones")
    func reversal() {
        let s = Self.tokens.storage
        let reversed = Tensor(shape: [1, 6, 2], Array(s[8..<12] + s[4..<8] + s[0..<4]))
        #expect(FeaturePooling.mean.apply(reversed, perStep: 2).storage == FeaturePooling.mean.apply(Self.tokens, perStep: 2).storage)
        #expect(FeaturePooling.time.apply(reversed, perStep: 2).storage != FeaturePooling.time.apply(Self.tokens, perStep: 2).storage)
    }
}
