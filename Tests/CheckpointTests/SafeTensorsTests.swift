import Foundation
import TestSupport
import Testing

@testable import Checkpoint

/// A safetensors file made of `header` (JSON text) and `dataBytes` zero bytes, with `declaredLength` overriding the length field.
func safeTensorsBytes(_ header: String, dataBytes: Int, declaredLength: UInt64? = nil) -> Data {
    var bytes = Data()
    bytes.appendLittleEndian(declaredLength ?? UInt64(header.utf8.count))
    bytes.append(Data(header.utf8))
    bytes.append(Data(count: dataBytes))
    return bytes
}

@Test("safetensors write then read keeps order, shapes, values, integer dtypes and metadata")
func safeTensorsRoundTrip() throws {
    var random = TestRandom(seed: 3)
    var original = StateDict()
    original["z.last"] = TensorData(floats: random.array(3 * 5 * 7), shape: [3, 5, 7])
    original["a.first"] = TensorData(floats: random.array(1), shape: [])
    original["empty"] = TensorData(floats: [], shape: [0, 3])
    let mask = try #require(TensorData(dtype: .bool, shape: [2, 2], bytes: Data([1, 0, 0, 1])))
    original["mask"] = mask
    original["index"] = TensorData(int64s: [5, -1, 1 << 50], shape: [3])
    original["quote\"name"] = TensorData(floats: [1, 2], shape: [2, 1])
    let url = try Fixtures.temporaryDirectory("st").appendingPathComponent("w.safetensors")
    try SafeTensors.write(original, to: url, metadata: ["format": "pt", "note": "line\nbreak"])
    let loaded = try SafeTensors.read(url)
    #expect(loaded.names == original.names)
    for (name, tensor) in original { #expect(try loaded.tensor(name) == tensor, "\(name)") }
    #expect(loaded.metadata == ["format": "pt", "note": "line\nbreak"])
    let headerLength = try #require(Data(contentsOf: url).littleEndian(at: 0, width: 8))
    #expect(headerLength % 8 == 0)
}

@Test("safetensors float16 output rounds to nearest and reads back as the rounded floats")
func safeTensorsHalfOutput() throws {
    let values: [Float] = [1, -2.5, 0.1, 65504, 1e-7, 70000]
    let url = try Fixtures.temporaryDirectory("st").appendingPathComponent("h.safetensors")
    try SafeTensors.write(StateDict([("x", TensorData(floats: values, shape: [6]))]), to: url, floatFormat: .float16)
    let tensor = try SafeTensors.read(url).tensor("x")
    #expect(tensor.dtype == .float16)
    // 0.1 -> 0.0999755859375 (nearest binary16), 1e-7 -> the subnormal 2^-24 * 2 rounded, 70000 -> +inf.
    #expect(tensor.floats() == [1, -2.5, 0.0999755859375, 65504, 1.1920929e-07, .infinity])
}

@Test("writing over an existing file replaces it whole and leaves no temporary file behind")
func safeTensorsAtomicReplace() throws {
    let directory = try Fixtures.temporaryDirectory("st")
    let url = directory.appendingPathComponent("w.safetensors")
    try SafeTensors.write(StateDict([("a", TensorData(floats: [1], shape: [1]))]), to: url)
    try SafeTensors.write(StateDict([("b", TensorData(floats: [2, 3], shape: [2]))]), to: url)
    #expect(try SafeTensors.read(url).names == ["b"])
    #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["w.safetensors"])
    let missing = directory.appendingPathComponent("no/such/dir/x.safetensors")
    #expect(throws: WeightLoadError.self) { try SafeTensors.write(StateDict(), to: missing) }
}

@Test(
    "malformed safetensors headers throw errors that say what is wrong",
    arguments: [
        (safeTensorsBytes("{}", dataBytes: 0, declaredLength: 1_000_000), "exceeds"),
        (safeTensorsBytes("{not json", dataBytes: 0), "not a JSON object"),
        (safeTensorsBytes(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, dataBytes: 4), "outside the 4 data bytes"),
        (safeTensorsBytes(#"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, dataBytes: 8), "needs 12"),
        (
            safeTensorsBytes(
                #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#,
                dataBytes: 12), "overlaps"
        ),
        (safeTensorsBytes(#"{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}"#, dataBytes: 8), "non-negative"),
        (safeTensorsBytes(#"{"a":{"dtype":"F32","shape":[2]}}"#, dataBytes: 8), "data_offsets"),
        (safeTensorsBytes(#"{"__metadata__":{"k":1}}"#, dataBytes: 0), "__metadata__"),
        (safeTensorsBytes(#"{"a":{"dtype":"F8_E4M3","shape":[2],"data_offsets":[0,2]}}"#, dataBytes: 2), "F8_E4M3"),
        (Data([1, 2, 3]), "truncated")
    ] as [(Data, String)])
func malformedSafeTensors(_ bytes: Data, _ expected: String) throws {
    let url = try temporaryFile(bytes, name: "bad.safetensors")
    let error = try #require(throws: WeightLoadError.self) { try SafeTensors.read(url) }
    #expect(error.description.contains(expected), "\(error)")
    #expect(error.description.contains(url.path))
    if bytes.count > 8 {  // dispatch by content reaches the same check
        #expect(throws: error) { try CheckpointFile.load(url) }
    }
}
