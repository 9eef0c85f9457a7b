import Foundation
import TestSupport
import Testing

@testable import Checkpoint

/// Float32 bytes of `values`.
func floatBytes(_ values: [Float]) -> Data { values.withUnsafeBytes { Data($0) } }

@Test(".pth write then read returns every tensor unchanged, odd shapes and scalars included")
func torchRoundTrip() throws {
    var random = TestRandom(seed: 7)
    let shapes: [[Int]] = [[3, 5, 7], [1], [], [0, 4], [2, 1, 3, 1, 2], [70_000], [257, 3]]
    var original = StateDict()
    for (index, shape) in shapes.enumerated() {
        let count = shape.reduce(1, *)
        original["layer.\(index).weight"] = TensorData(floats: random.array(count), shape: shape)
    }
    original["steps"] = TensorData(int64s: [-3, 1 << 40], shape: [2])
    let file = try Fixtures.temporaryDirectory("pth").appendingPathComponent("student.pth")
    try TorchCheckpoint.write(original, to: file)
    let loaded = try TorchCheckpoint.read(file)
    #expect(loaded.names == original.names)
    for (name, tensor) in original { #expect(try loaded.tensor(name) == tensor, "\(name)") }
    #expect(try loaded.tensor("steps").integers() == [-3, 1 << 40])
    #expect(try CheckpointFile.load(file) == loaded)
}

@Test(".pth writer aligns every storage to 64 bytes and converts half precision to float32")
func torchWriterLayout() throws {
    let halves = Data([0x00, 0x3C, 0x00, 0xC0])  // 1.0, -2.0 in binary16
    let half = try #require(TensorData(dtype: .float16, shape: [2], bytes: halves))
    let file = try Fixtures.temporaryDirectory("pth").appendingPathComponent("half.pth")
    try TorchCheckpoint.write(StateDict([("a", half), ("b", TensorData(floats: [1, 2, 3], shape: [3]))]), to: file)
    let archive = try ZipArchive(data: Data(contentsOf: file), path: file.path)
    #expect(archive.entries.map(\.name) == ["archive/data.pkl", "archive/byteorder", "archive/data/0", "archive/data/1", "archive/version"])
    for entry in archive.entries where entry.name.hasPrefix("archive/data/") {
        let bytes = try archive.contents(of: entry, verify: true)
        #expect((bytes.startIndex - archive.data.startIndex) % 64 == 0, "\(entry.name) is not 64-byte aligned")
    }
    let loaded = try TorchCheckpoint.read(file)
    #expect(try loaded.tensor("a").dtype == .float32)
    #expect(try loaded.floats("a") == [1, -2])
}

@Test("strided, offset and scalar views of one shared storage are materialised row-major")
func torchStridedViews() throws {
    var pickle = PickleBytes()
    pickle.op("}")
    pickle.string("model")
    pickle.global("collections", "OrderedDict")
    pickle.op(")")
    pickle.op("R")
    pickle.op("(")
    pickle.string("transposed")
    pickle.floatTensor(key: "0", numel: 6, offset: 0, shape: [3, 2], strides: [1, 3])
    pickle.string("tail")
    pickle.floatTensor(key: "0", numel: 6, offset: 4, shape: [2], strides: [1])
    pickle.string("every_other")
    pickle.floatTensor(key: "0", numel: 6, offset: 0, shape: [2, 2], strides: [3, 2])
    pickle.string("broadcast")
    pickle.floatTensor(key: "0", numel: 6, offset: 1, shape: [2, 3], strides: [0, 1])
    pickle.op("u")
    pickle.op("s")
    pickle.op(".")
    let file = try Fixtures.temporaryDirectory("pth").appendingPathComponent("views.pth")
    try TorchCheckpoint.writeArchive(pickle: pickle.bytes, storages: [("0", floatBytes([0, 1, 2, 3, 4, 5]))], to: file)
    let loaded = try TorchCheckpoint.read(file)
    #expect(try loaded.floats("transposed") == [0, 3, 1, 4, 2, 5])  // storage viewed as (2,3), then .t()
    #expect(try loaded.floats("tail") == [4, 5])
    #expect(try loaded.floats("every_other") == [0, 2, 3, 5])
    #expect(try loaded.floats("broadcast") == [1, 2, 3, 1, 2, 3])
    #expect(try loaded.shape(of: "transposed") == [3, 2])
}

@Test("a view reaching past its storage is refused with the storage named")
func torchViewOutOfRange() throws {
    var pickle = PickleBytes()
    pickle.op("}")
    pickle.string("model")
    pickle.op("}")
    pickle.string("bad")
    pickle.floatTensor(key: "0", numel: 6, offset: 1, shape: [3], strides: [3])
    pickle.op("s")
    pickle.op("s")
    pickle.op(".")
    let file = try Fixtures.temporaryDirectory("pth").appendingPathComponent("bad-view.pth")
    try TorchCheckpoint.writeArchive(pickle: pickle.bytes, storages: [("0", floatBytes([0, 1, 2, 3, 4, 5]))], to: file)
    let error = try #require(throws: WeightLoadError.self) { try TorchCheckpoint.read(file) }
    guard case let .invalidTensor(_, tensor, detail) = error else {
        Issue.record("got \(error)")
        return
    }
    #expect(tensor == "storage 0")
    #expect(detail.contains("reaches element 7"))
}

@Test("an MVD-style checkpoint with an argparse.Namespace next to the model still yields the model")
func torchCheckpointWithNamespace() throws {
    var pickle = PickleBytes()
    pickle.op("}")
    pickle.op("(")
    pickle.string("args")
    pickle.global("argparse", "Namespace")
    pickle.op(")")
    pickle.op(0x81)  // NEWOBJ
    pickle.op("}")
    pickle.op("(")
    pickle.string("model_key")
    pickle.string("model|module")
    pickle.string("lr")
    pickle.op("G")
    pickle.op(0x3F, 0x50, 0x62, 0x4D, 0xD2, 0xF1, 0xA9, 0xFC)  // 1e-3
    pickle.op("u")
    pickle.op("b")  // BUILD
    pickle.string("epoch")
    pickle.int(9)
    pickle.string("model")
    pickle.op("}")
    pickle.string("w")
    pickle.floatTensor(key: "0", numel: 2, offset: 0, shape: [2], strides: [1])
    pickle.op("s")
    pickle.op("u")
    pickle.op(".")
    let file = try Fixtures.temporaryDirectory("pth").appendingPathComponent("mvd.pth")
    try TorchCheckpoint.writeArchive(pickle: pickle.bytes, storages: [("0", floatBytes([7, 8]))], to: file)
    let object = try TorchCheckpoint.loadObject(file)
    #expect(object.stringKeys == ["args", "epoch", "model"])
    guard case let .object(namespace)? = object["args"] else {
        Issue.record("args is \(String(describing: object["args"]))")
        return
    }
    #expect(namespace.className == "argparse.Namespace")
    #expect(namespace.state?["lr"] == .float(1e-3))
    #expect(object["epoch"] == .int(9))
    #expect(try TorchCheckpoint.read(file).floats("w") == [7, 8])
    let whole = try #require(throws: WeightLoadError.self) { try TorchCheckpoint.read(file, modelKeys: ["module"]) }
    #expect(whole.description.contains("'args'") && whole.description.contains("top-level keys are [args, epoch, model]"))
}
