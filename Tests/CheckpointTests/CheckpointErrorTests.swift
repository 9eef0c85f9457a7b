import Foundation
import TestSupport
import Testing

@testable import Checkpoint

/// Writes `bytes` to a fresh temporary file and returns its URL.
func temporaryFile(_ bytes: Data, name: String) throws -> URL {
    let url = try Fixtures.temporaryDirectory("ckpt-error").appendingPathComponent(name)
    try bytes.write(to: url)
    return url
}

@Test(".pth cut at several points throws truncated, never crashes", arguments: [0.0, 0.001, 0.3, 0.5, 0.9, 0.99995])
func truncatedTorchFile(_ fraction: Double) throws {
    let whole = try Data(contentsOf: Fixtures.url("student_init_checkpoint.pth"))
    let url = try temporaryFile(whole.prefix(Int(Double(whole.count) * fraction)), name: "cut.pth")
    let error = try #require(throws: WeightLoadError.self) { try TorchCheckpoint.read(url) }
    guard case let .truncated(path, _) = error else {
        Issue.record("expected truncated, got \(error)")
        return
    }
    #expect(path == url.path)
    #expect(error.description.contains("Download or copy the file again"))
}

@Test("a .pth whose pickle has a flipped byte fails its CRC check, naming data.pkl")
func corruptPickleByte() throws {
    var bytes = try Data(contentsOf: Fixtures.url("image_teacher_mae_checkpoint.pth"))
    bytes[200] ^= 0xFF  // data.pkl starts at byte 128 of this file
    let error = try #require(throws: WeightLoadError.self) { try TorchCheckpoint.read(temporaryFile(bytes, name: "bad.pth")) }
    #expect(error == .checksumMismatch(path: error.pathForTest, entry: "image_teacher_mae_checkpoint/data.pkl"))
}

@Test("an unknown pickle opcode is reported with its value and offset")
func unknownOpcode() throws {
    let url = try Fixtures.temporaryDirectory("ckpt-error").appendingPathComponent("opcode.pth")
    try TorchCheckpoint.writeArchive(pickle: [0x80, 2, UInt8(ascii: "}"), 0xFE, UInt8(ascii: ".")], storages: [], to: url)
    let error = try #require(throws: WeightLoadError.self) { try TorchCheckpoint.read(url) }
    #expect(error == .unknownOpcode(path: url.path, opcode: 0xFE, offset: 3))
    #expect(error.description.contains("0xFE"))
}

@Test(
    "a pickle that ends without STOP or pops an empty stack throws, naming the problem",
    arguments: [
        ([0x80, 2, UInt8(ascii: "}")], "truncated"),
        ([0x80, 2, UInt8(ascii: "s"), UInt8(ascii: ".")], "stack underflow"),
        ([0x80, 2, UInt8(ascii: "h"), 9, UInt8(ascii: ".")], "memo entry 9"),
        ([0x80, 2, UInt8(ascii: "X"), 0xFF, 0xFF, 0xFF, 0x7F], "truncated")
    ] as [([UInt8], String)])
func malformedPickle(_ program: [UInt8], _ expected: String) throws {
    var unpickler = Unpickler(program, path: "p.pth") { _ in .value(.none) }
    let error = try #require(throws: WeightLoadError.self) { _ = try unpickler.load() }
    #expect(error.description.contains(expected), "\(error)")
}

@Test("legacy (non-zip) torch files are detected and explained")
func legacyTorchFile() throws {
    // The legacy format starts with a protocol-2 pickle of a 10-byte LONG1 magic number.
    let legacy = Data([0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19, 0x2E])
    let url = try temporaryFile(legacy, name: "old.pth")
    #expect(throws: WeightLoadError.legacyTorchFormat(path: url.path)) { try TorchCheckpoint.read(url) }
    #expect(throws: WeightLoadError.legacyTorchFormat(path: url.path)) { try CheckpointFile.load(url) }
    #expect(WeightLoadError.legacyTorchFormat(path: url.path).description.contains("torch>=1.6"))
}

@Test("a compressed zip entry is refused with the entry named")
func compressedEntry() throws {
    var bytes = try Data(contentsOf: Fixtures.url("finetune_checkpoint.pth"))
    let archive = try ZipArchive(data: bytes, path: "x")
    let pickle = try #require(archive.entries.first)
    // Set the compression method (offset 10 of the central record) of the first entry to deflate (8).
    let directoryStart = try #require(bytes.range(of: Data([0x50, 0x4B, 0x01, 0x02]))?.lowerBound)
    bytes[directoryStart + 10] = 8
    let url = try temporaryFile(bytes, name: "deflate.pth")
    #expect(throws: WeightLoadError.unsupportedCompression(path: url.path, entry: pickle.name, method: 8)) {
        try TorchCheckpoint.read(url)
    }
}

@Test("a missing tensor name is a typed error that counts what is present")
func missingTensorName() throws {
    let stateDict = StateDict([("a", TensorData(floats: [1], shape: [1]))])
    #expect(throws: WeightLoadError.missingTensor(name: "b", available: 1)) { try stateDict.floats("b") }
}

extension WeightLoadError {
    /// The path a case names, for comparing whole errors in tests.
    var pathForTest: String {
        switch self {
        case let .checksumMismatch(path, _), let .truncated(path, _), let .invalidArchive(path, _): return path
        default: return ""
        }
    }
}
