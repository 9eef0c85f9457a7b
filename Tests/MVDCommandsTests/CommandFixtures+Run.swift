import Distill
import Foundation
import Models
import Tensor
import TestSupport

@testable import MVDCommands

extension CommandFixtures {
    /// A run folder under `dir` as `distill` leaves it before its first step: the fixture student on the fixture
    /// cache, freshly initialised, with its config and a step-0 checkpoint.
    static func freshRun(in dir: URL) throws -> (config: TrainConfig, out: URL) {
        let model = try write(studentConfig, to: dir.appendingPathComponent("student.json"))
        let cache = try cache(in: dir)
        let out = dir.appendingPathComponent("run")
        let (config, _) = try DistillCommand.parse(["--cache", cache.path, "--out", out.path, "--model-config", model.path]).trainConfig()
        var rng = SplitMix64(seed: 1)
        var student = Student(
            fresh: config.model,
            branches: config.objective.branches(teacherWidths: config.teacherWidths, geometry: config.geometry),
            using: &rng)
        let run = RunDirectory(out)
        try run.create()
        try run.writeConfig(config)
        try run.saveCheckpoint(student: &student, optimizer: AdamW(), step: 0)
        return (config, out)
    }
}
