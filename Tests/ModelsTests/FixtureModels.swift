import Checkpoint
import Foundation
import Tensor
import TestSupport

@testable import Models

/// The tiny configurations of Tests/Fixtures/README.md (image 32×32, patch 8, tubelet 2, 16 frames).
enum FixtureModels {
    static let imageTeacher = ModelConfig(embedDim: 64, depth: 2, numHeads: 4, patchSize: 8, inputSize: 32)
    static let videoTeacher = ModelConfig(embedDim: 40, depth: 2, numHeads: 2, patchSize: 8, inputSize: 32)
    static let student = ModelConfig(
        embedDim: 32, depth: 2, numHeads: 2, patchSize: 8, inputSize: 32,
        decoder: DecoderConfig(embedDim: 16, depth: 2, numHeads: 2))
    static let studentBranches = [BranchSpec(name: "img", targetWidth: 64), BranchSpec(name: "vid", targetWidth: 40)]
    static let classifier = ModelConfig(embedDim: 32, depth: 2, numHeads: 2, patchSize: 8, inputSize: 32, numFrames: 8)

    /// Named tensors of a fixture `*_io.safetensors` file.
    static func io(_ name: String) throws -> StateDict { try SafeTensors.read(Fixtures.url(name)) }

    static func tensor(_ d: StateDict, _ name: String) throws -> Tensor {
        let t = try d.tensor(name)
        return Tensor(shape: t.shape, t.floats())
    }

    static func reader(_ file: String) throws -> WeightReader { try WeightReader(contentsOf: Fixtures.url(file)) }
}
