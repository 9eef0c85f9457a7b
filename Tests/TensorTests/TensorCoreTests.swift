import TestSupport
import Testing

@testable import Tensor

@Test("a tensor keeps its shape and element count")
func tensorShape() {
    let t = Tensor(shape: [2, 3], [1, 2, 3, 4, 5, 6])
    #expect(t.shape == [2, 3])
    #expect(t.rowCount == 2)
    #expect(t.reshaped([3, 2]).shape == [3, 2])
}
