import Checkpoint
import Foundation
import Models
import Tensor
import TestSupport
import Testing

@testable import Distill

/// A damaged run checkpoint is refused with the key at fault, before any training: a wrong shape used to trap
/// (a Tensor precondition) and NaN weights used to train on silently.
@Suite("damaged run checkpoints")
struct RunCheckpointDamageTests {
    static func savedRun() throws -> (RunDirectory, StateDict) {
        let run = RunDirectory(try Fixtures.temporaryDirectory("damaged-run"))
        var student = TrainerTests.student()
        try run.saveCheckpoint(student: &student, optimizer: AdamW(), step: 3)
        return (run, try SafeTensors.read(run.checkpointURL))
    }

    static func load(_ run: RunDirectory) throws -> Int {
        var student = TrainerTests.student(), optimizer = AdamW()
        return try run.loadCheckpoint(into: &student, optimizer: &optimizer)
    }

    @Test("an intact checkpoint loads")
    func intact() throws {
        let (run, _) = try Self.savedRun()
        #expect(try Self.load(run) == 3)
    }

    @Test("a negative step in the checkpoint's metadata is refused, not resumed from")
    func negativeStep() throws {
        let (run, dict) = try Self.savedRun()
        var metadata = dict.metadata
        metadata["step"] = "-5"
        try SafeTensors.write(dict, to: run.checkpointURL, metadata: metadata)
        let error = #expect(throws: DistillError.self) { try Self.load(run) }
        #expect("\(error!)".contains("not a run checkpoint"), "\(error!)")
    }

    @Test("a tensor of another shape is refused with its name")
    func wrongShape() throws {
        let (run, dict0) = try Self.savedRun()
        var dict = dict0
        let name = try #require(dict.names.first { $0.hasPrefix("blocks.0.mlp.fc1.weight") })
        let count = dict[name]!.floats().count
        dict[name] = TensorData(floats: [Float](repeating: 0, count: count / 2), shape: [count / 2])
        try SafeTensors.write(dict, to: run.checkpointURL, metadata: dict.metadata)
        let error = #expect(throws: DistillError.self) { try Self.load(run) }
        #expect("\(error!)".contains(name))
    }

    @Test("a NaN weight is refused with its name and element")
    func nanWeight() throws {
        let (run, dict0) = try Self.savedRun()
        var dict = dict0
        let name = try #require(dict.names.first { $0.hasPrefix("blocks.0.attn.proj.weight") })
        var values = dict[name]!.floats()
        values[5] = .nan
        dict[name] = TensorData(floats: values, shape: dict[name]!.shape)
        try SafeTensors.write(dict, to: run.checkpointURL, metadata: dict.metadata)
        let error = #expect(throws: DistillError.self) { try Self.load(run) }
        #expect("\(error!)".contains(name) && "\(error!)".contains("element 5"))
    }

    @Test("a mis-shaped tensor is refused as every checkpoint load refuses it: the key and both shapes")
    func misShapedTyped() throws {
        let (run, dict0) = try Self.savedRun()
        var dict = dict0
        let name = "blocks.0.norm2.weight"
        let shape = try #require(dict[name]).shape
        dict[name] = TensorData(floats: [Float](repeating: 1, count: shape[0] + 1), shape: [shape[0] + 1])
        try SafeTensors.write(dict, to: run.checkpointURL, metadata: dict.metadata)
        let expected = ModelLoadError.shapeMismatch(name, expected: shape, found: [shape[0] + 1], source: run.checkpointURL.path)
        #expect(throws: DistillError.runCheckpoint(expected)) { try Self.load(run) }
        let message = "\(DistillError.runCheckpoint(expected))"
        #expect(message.contains(name) && message.contains("\(shape)") && message.contains("\([shape[0] + 1])"))
    }

    @Test("an extra tensor, or optimiser state of no parameter, is refused with its key")
    func extraKey() throws {
        for extra in ["blocks.9.norm1.weight", "optim.m.blocks.9.norm1.weight"] {
            let (run, dict0) = try Self.savedRun()
            var dict = dict0
            dict[extra] = TensorData(floats: [Float](repeating: 0, count: 4), shape: [4])
            try SafeTensors.write(dict, to: run.checkpointURL, metadata: dict.metadata)
            #expect(throws: DistillError.runCheckpoint(.unusedKeys([extra], source: run.checkpointURL.path))) { try Self.load(run) }
        }
    }
}
