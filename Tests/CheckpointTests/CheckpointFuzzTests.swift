import Foundation
import TestSupport
import Testing

@testable import Checkpoint

/// Mutation fuzzing of the checkpoint readers. Any thrown error is an acceptable answer to a mutated file; a
/// crash, a trap (overflow, index out of range, an allocation sized by a corrupt field) or a hang is a bug.
/// Inputs that once crashed live in `Tests/Fixtures/fuzz/<target>/` and are replayed first.
@Suite("checkpoint reader fuzzing", .serialized)
struct CheckpointFuzzTests {
    /// A small state dict in every dtype, with a strided view in the .pth form.
    static func smallStateDict() throws -> StateDict {
        var dict = StateDict()
        dict["w"] = TensorData(floats: (0..<12).map { Float($0) - 5.5 }, shape: [3, 4])
        dict["b"] = TensorData(floats: [0.25, -1], shape: [2])
        dict["s"] = TensorData(floats: [7], shape: [])
        dict["i"] = TensorData(int64s: [1, -2, 1 << 40], shape: [3])
        dict["m"] = try #require(TensorData(dtype: .bool, shape: [2, 2], bytes: Data([1, 0, 0, 1])))
        dict["h"] = try #require(TensorData(dtype: .float16, shape: [2], bytes: Data([0x00, 0x3C, 0x00, 0xC0])))
        return dict
    }

    static func pthSeeds() throws -> [[UInt8]] {
        let url = try Fixtures.temporaryDirectory("fuzz-seed").appendingPathComponent("small.pth")
        try TorchCheckpoint.write(try smallStateDict(), to: url)
        return try [url, Fixtures.url("checkpoint/torch_views.pth"), Fixtures.url("checkpoint/torch_views_p4.pth")]
            .map { [UInt8](try Data(contentsOf: $0)) }
    }

    /// The whole `.pth` load path: zip directory, every entry with its CRC, unpickling, storages, state dict.
    static func loadPth(_ bytes: [UInt8]) throws {
        let data = Data(bytes)
        let archive = try ZipArchive(data: data, path: "fuzz.pth")
        for entry in archive.entries { _ = try? archive.contents(of: entry, verify: true) }
        let object = try TorchCheckpoint.loadObject(data, path: "fuzz.pth")
        for (_, tensor) in try StateDict(extractingFrom: object, path: "fuzz.pth") { _ = tensor.floats() }
    }

    /// The unpickler and freezer alone, every persistent id resolved to a stand-in storage of 64 floats.
    static func unpickle(_ bytes: [UInt8]) throws {
        var unpickler = Unpickler(bytes, path: "fuzz.pkl") { _ in
            .storage(.init(className: "FloatStorage", key: "0", dtype: .float32, bytes: Data(count: 256)))
        }
        let value = try PickleFreezer(path: "fuzz.pkl").freeze(try unpickler.load())
        if let dict = try? StateDict(extractingFrom: value) { for (_, tensor) in dict { _ = tensor.floats() } }
    }

    static func readSafeTensors(_ bytes: [UInt8]) throws {
        for (_, tensor) in try SafeTensors.parse(Data(bytes), path: "fuzz.safetensors") { _ = tensor.floats() }
    }

    /// Runs `body` over the kept regressions of `target`, then over mutations of `seeds`.
    static func fuzz(_ target: String, seeds: [[UInt8]], _ body: ([UInt8]) throws -> Void) -> MutationFuzzer.Summary {
        for regression in MutationFuzzer.regressions(target) { _ = try? body(regression.bytes) }
        var fuzzer = MutationFuzzer(target: target, corpus: seeds)
        return fuzzer.run(maxIterations: 1_000_000, body)
    }

    @Test("fuzz: mutated .pth files (zip container and whole load path) load or throw")
    func zip() throws {
        let seeds = try Self.pthSeeds()
        for seed in seeds { try Self.loadPth(seed) }  // the seeds themselves load
        let summary = Self.fuzz("zip", seeds: seeds, Self.loadPth)
        #expect(summary.iterations > 100 && summary.accepted > 0 && summary.rejected > 0, "\(summary)")
    }

    @Test("fuzz: mutated data.pkl programs unpickle or throw")
    func pickle() throws {
        var seeds = try Self.pthSeeds().map { bytes -> [UInt8] in
            let archive = try ZipArchive(data: Data(bytes), path: "seed.pth")
            let entry = try #require(archive.entries.first { $0.name.hasSuffix("/data.pkl") })
            return [UInt8](try archive.contents(of: entry))
        }
        var tensor = PickleBytes()
        tensor.op("}")
        tensor.string("t")
        tensor.floatTensor(key: "0", numel: 12, offset: 1, shape: [2, 3], strides: [1, 2])
        tensor.op("s")
        tensor.op(".")
        seeds.append(tensor.bytes)
        for seed in seeds { try Self.unpickle(seed) }
        let summary = Self.fuzz("pickle", seeds: seeds, Self.unpickle)
        #expect(summary.iterations > 100 && summary.accepted > 0 && summary.rejected > 0, "\(summary)")
    }

    @Test("fuzz: mutated safetensors files parse or throw")
    func safetensors() throws {
        let dir = try Fixtures.temporaryDirectory("fuzz-seed")
        var seeds: [[UInt8]] = []
        for (name, format) in [("f32", SafeTensors.FloatFormat.float32), ("f16", .float16)] {
            let url = dir.appendingPathComponent("\(name).safetensors")
            try SafeTensors.write(try Self.smallStateDict(), to: url, metadata: ["format": "pt"], floatFormat: format)
            seeds.append([UInt8](try Data(contentsOf: url)))
        }
        for seed in seeds { try Self.readSafeTensors(seed) }
        let summary = Self.fuzz("safetensors", seeds: seeds, Self.readSafeTensors)
        #expect(summary.iterations > 100 && summary.accepted > 0 && summary.rejected > 0, "\(summary)")
    }
}
