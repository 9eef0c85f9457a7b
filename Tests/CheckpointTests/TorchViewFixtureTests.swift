import Foundation
import TestSupport
import Testing

@testable import Checkpoint

@Test(
    "views that torch.save wrote (protocols 2 and 4) read back row-major in every dtype",
    arguments: ["checkpoint/torch_views.pth", "checkpoint/torch_views_p4.pth"])
func torchWrittenViews(_ file: String) throws {
    let model = try TorchCheckpoint.read(Fixtures.url(file))
    let base = (0..<24).map(Float.init)  // arange(24).reshape(4, 6)
    let transposed = (0..<24).map { Float(($0 % 4) * 6 + $0 / 4) }
    #expect(model.names == ["t", "s", "o", "scalar", "h", "b", "i", "m"])
    #expect(try model.floats("t") == transposed)
    #expect(try model.floats("s") == stride(from: 1, to: 24, by: 2).map(Float.init))
    #expect(try model.floats("o") == Array(base[12..<18]))
    #expect(try model.tensor("scalar").shape == [])
    #expect(try model.floats("scalar") == [8])
    #expect(try model.tensor("h").dtype == .float16)
    #expect(try model.floats("h") == Array(base[6...]))
    #expect(try model.tensor("b").dtype == .bfloat16)
    #expect(try model.floats("b") == transposed)
    #expect(try model.tensor("i").integers() == [0, 1, 2, 3, 4])
    #expect(try model.tensor("m").bools() == base.map { $0 > 10 })
}

@Test("non-tensor top-level entries of a torch.save file are decoded as plain values")
func torchWrittenTopLevel() throws {
    let object = try TorchCheckpoint.loadObject(Fixtures.url("checkpoint/torch_views.pth"))
    #expect(object.stringKeys == ["model", "epoch", "args"])
    #expect(object["epoch"] == .int(3))
    #expect(object["args"]?["lr"] == .float(1e-3))
}
