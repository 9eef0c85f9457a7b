import Foundation
import TestSupport
import Testing

@testable import Checkpoint

/// The `.pth` / `.safetensors` fixture pairs written by the reference implementation from the same weights.
let fixturePairs: [(pth: String, safetensors: String)] = [
    ("image_teacher_mae_checkpoint.pth", "image_teacher_weights.safetensors"),
    ("video_teacher_videomae_checkpoint.pth", "video_teacher_weights.safetensors"),
    ("student_init_checkpoint.pth", "student_init_weights.safetensors"),
    ("finetune_checkpoint.pth", "finetune_weights.safetensors")
]

/// The `files` section of the fixture manifest.
func manifestFiles() throws -> [String: Any] {
    let data = try Data(contentsOf: Fixtures.url("manifest.json"))
    let root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    return try #require(root["files"] as? [String: Any])
}

@Test(
    "each .pth fixture and its safetensors twin hold the same names, shapes and values",
    arguments: fixturePairs.map { [$0.pth, $0.safetensors] })
func fixtureFormatsAgree(_ pair: [String]) throws {
    let fromTorch = try TorchCheckpoint.read(Fixtures.url(pair[0]))
    let fromSafeTensors = try SafeTensors.read(Fixtures.url(pair[1]))
    #expect(fromTorch.count > 10)
    #expect(Set(fromTorch.names) == Set(fromSafeTensors.names))
    for (name, tensor) in fromTorch {
        let twin = try fromSafeTensors.tensor(name)
        #expect(tensor.dtype == .float32, "\(name)")
        #expect(tensor.shape == twin.shape, "\(name)")
        #expect(tensor.floats() == twin.floats(), "\(name) values differ")
    }
}

@Test("every .pth fixture's state dict matches the manifest's top-level keys, names and shapes", arguments: fixturePairs.map(\.pth))
func torchFixtureMatchesManifest(_ file: String) throws {
    let entry = try #require(try manifestFiles()[file] as? [String: Any])
    let expected = try #require(entry["state_dict_keys"] as? [String: [Int]])
    let object = try TorchCheckpoint.loadObject(Fixtures.url(file))
    #expect(object.stringKeys == (entry["top_level_keys"] as? [String]))
    let stateDict = try StateDict(extractingFrom: object)
    #expect(stateDict.count == expected.count)
    for (name, shape) in expected { #expect(try stateDict.shape(of: name) == shape, "\(name)") }
}

@Test(
    "every safetensors fixture matches the manifest's names, shapes and dtypes",
    arguments: [
        "image_teacher_weights.safetensors", "student_io.safetensors", "tiny_clip_io.safetensors",
        "image_teacher_io.safetensors", "video_teacher_io.safetensors", "finetune_io.safetensors",
        "pos_embed_tables.safetensors"
    ])
func safeTensorsFixtureMatchesManifest(_ file: String) throws {
    let entry = try #require(try manifestFiles()[file] as? [String: Any])
    let expected = try #require(entry["tensors"] as? [String: [String: Any]])
    let stateDict = try SafeTensors.read(Fixtures.url(file))
    #expect(Set(stateDict.names) == Set(expected.keys))
    for (name, spec) in expected {
        let tensor = try stateDict.tensor(name)
        #expect(tensor.shape == (spec["shape"] as? [Int]), "\(name)")
        #expect(tensor.dtype.rawValue == (spec["dtype"] as? String), "\(name)")
    }
}

@Test("the image teacher's 2-D sin-cos table has a zero cls row and [0…0, 1…1] twice at patch (0, 0)")
func imageTeacherPositionTableValues() throws {
    let stateDict = try CheckpointFile.load(Fixtures.url("image_teacher_mae_checkpoint.pth"))
    let table = try stateDict.floats("pos_embed")  // (1, 17, 64)
    #expect(table[0..<64].allSatisfy { $0 == 0 })
    // Row 1 is patch (h=0, w=0): E_32(0) for w then for h, E_d(0) = [sin 0 ×16, cos 0 ×16].
    let half = [Float](repeating: 0, count: 16) + [Float](repeating: 1, count: 16)
    #expect(Array(table[64..<128]) == half + half)
}

@Test("integer and boolean tensors of the student step read as integers that agree with the manifest mask")
func studentMaskIntegers() throws {
    let io = try SafeTensors.read(Fixtures.url("student_io.safetensors"))
    let masked = try #require(try io.tensor("input/bool_masked_pos").bools())
    let maskedIndices = try #require(try io.tensor("input/masked_indices").integers())
    let visibleIndices = try #require(try io.tensor("input/visible_indices").integers())
    // Sample 0's spatial pattern from the manifest, repeated over the 8 tubelets: mask[n] = pattern[n mod 16].
    let pattern: [Bool] = [1, 1, 1, 1, 1, 1, 0, 1, 0, 1, 0, 1, 1, 1, 0, 1].map { $0 == 1 }
    #expect(Array(masked[0..<128]) == (0..<128).map { pattern[$0 % 16] })
    #expect(Array(maskedIndices[0..<96]) == (0..<128).filter { pattern[$0 % 16] }.map(Int64.init))
    #expect(Array(visibleIndices[0..<32]) == (0..<128).filter { !pattern[$0 % 16] }.map(Int64.init))
    #expect(try io.tensor("input/masked_indices").floats()[0] == 0)
}

@Test("uint8 frames read as raw bytes and as floats")
func uint8FramesReadRaw() throws {
    let io = try SafeTensors.read(Fixtures.url("tiny_clip_io.safetensors"))
    let frames = try io.tensor("frames_rgb24")
    let raw = try #require(frames.uint8s())
    #expect(raw.count == 16 * 32 * 32 * 3)
    #expect(frames.floats() == raw.map(Float.init))
    #expect(frames.integers() == raw.map(Int64.init))
    #expect(try io.tensor("input/clip").integers() == nil)
}

@Test("CheckpointFile detects both formats by content")
func formatDetection() throws {
    #expect(try CheckpointFile.detectFormat(Fixtures.url("finetune_checkpoint.pth")) == .torchZip)
    #expect(try CheckpointFile.detectFormat(Fixtures.url("finetune_weights.safetensors")) == .safeTensors)
    let viaDispatch = try CheckpointFile.load(Fixtures.url("finetune_weights.safetensors"))
    #expect(viaDispatch == (try SafeTensors.read(Fixtures.url("finetune_weights.safetensors"))))
    #expect(throws: WeightLoadError.self) { try CheckpointFile.load(Fixtures.url("tiny_clip.mkv")) }
}
