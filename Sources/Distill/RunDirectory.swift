import Checkpoint
import Foundation
import Models
import Tensor

/// The files of one training run: `config.json`, `metrics.jsonl`, and `checkpoint.safetensors` (weights, AdamW
/// moments and step, replaced atomically so a kill never leaves half a checkpoint; the temporary a kill leaves
/// names its writer's pid and is removed when the run starts or resumes).
public struct RunDirectory: Sendable {
    public let url: URL
    public init(_ url: URL) { self.url = url }

    public var configURL: URL { url.appendingPathComponent("config.json") }
    public var metricsURL: URL { url.appendingPathComponent("metrics.jsonl") }
    public var checkpointURL: URL { url.appendingPathComponent("checkpoint.safetensors") }

    /// The files of a run (config, metrics, checkpoint) that exist in this directory.
    public var existingRunFiles: [URL] {
        [checkpointURL, metricsURL, configURL].filter { FileManager.default.fileExists(atPath: $0.path) }
    }

    /// Deletes the files of an earlier run, so that a replacing run cannot be mixed with what it left (a later
    /// `--resume` would otherwise load the old checkpoint under the new config).
    public func removeRunFiles() throws {
        for file in existingRunFiles {
            do { try FileManager.default.removeItem(at: file) } catch {
                throw DistillError.runDirectory("cannot remove \(file.path) of the earlier run: \(error.localizedDescription)")
            }
        }
    }

    public func create() throws {
        do { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) } catch {
            throw DistillError.runDirectory("cannot create run directory \(url.path): \(error.localizedDescription)")
        }
    }

    public func writeConfig(_ config: TrainConfig) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(config).write(to: configURL, options: .atomic)
    }

    public func readConfig() throws -> TrainConfig {
        guard let data = try? Data(contentsOf: configURL) else {
            throw DistillError.runDirectory("\(configURL.path) is missing: is \(url.path) a run directory?")
        }
        // A hand-edited or damaged config.json must not size a model nobody can allocate.
        do {
            let config = try JSONDecoder().decode(TrainConfig.self, from: Self.withDefaultPrecision(data))
            try config.validate()
            return config
        } catch {
            throw DistillError.runDirectory(
                "\(configURL.path) is not a valid run config (\(error)); restore it from the run's "
                    + "original flags or start a new run")
        }
    }

    /// Runs written before `precision` existed computed in fp32, and those written before `ranks` existed ran in one
    /// process: their config gets both, so that they still resume.
    private static func withDefaultPrecision(_ data: Data) -> Data {
        guard var object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            object["precision"] == nil || object["ranks"] == nil, object["model"] != nil
        else { return data }
        if object["precision"] == nil { object["precision"] = Precision.fp32.rawValue }
        if object["ranks"] == nil { object["ranks"] = 1 }
        return (try? JSONSerialization.data(withJSONObject: object)) ?? data
    }

    /// Deletes what killed checkpoint saves left (`.checkpoint.safetensors.tmp-…` of a writer that no longer runs);
    /// called when a run starts or resumes. Returns the files removed.
    @discardableResult
    public func removeDeadTemporaries() -> [URL] { WriteTemporaries.removeDead(of: checkpointURL) }

    /// Saves weights (official key names), AdamW moments (`optim.m.<name>`, `optim.v.<name>`) and the step.
    public func saveCheckpoint(student: inout Student, optimizer: AdamW, step: Int) throws {
        var tensors = student.officialStateDict()
        var steps: [String: Int] = [:]
        for (name, m) in optimizer.state.sorted(by: { $0.key < $1.key }) {
            tensors.append(("optim.m.\(name)", Tensor(shape: [m.m.count], m.m)))
            tensors.append(("optim.v.\(name)", Tensor(shape: [m.v.count], m.v)))
            steps[name] = m.step
        }
        // Sorted keys: the same run writes the same bytes (a dictionary's order changes from process to process).
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let stepsJSON = String(decoding: try encoder.encode(steps), as: UTF8.self)
        try SafeTensors.write(
            StateDict(tensors: tensors), to: checkpointURL,
            metadata: ["step": String(step), "adam_steps": stepsJSON, "format": "mvd-run-checkpoint-1"])
    }

    /// Restores weights and optimiser state saved by `saveCheckpoint`; returns the step to continue from.
    public func loadCheckpoint(into student: inout Student, optimizer: inout AdamW) throws -> Int {
        let dict = try SafeTensors.read(checkpointURL)
        guard let stepText = dict.metadata["step"], let step = Int(stepText), step >= 0,
            let stepsData = dict.metadata["adam_steps"]?.data(using: .utf8),
            let steps = try? JSONDecoder().decode([String: Int].self, from: stepsData)
        else {
            throw DistillError.runDirectory("\(checkpointURL.path) is not a run checkpoint (no valid step metadata)")
        }
        // The same strict load as every checkpoint: each parameter under its visitor's name and checkpoint shape,
        // finite; the frozen tables skipped; then only the optimiser's moments may remain.
        let reader = WeightReader(stateDict: dict, source: checkpointURL.path)
        var counts: [String: Int] = [:]
        do {
            try student.load(reader)
            student.visitParameters(prefix: "") { name, p in counts[name] = p.value.count }
            let names = Set(counts.keys)
            reader.skip { key in ["optim.m.", "optim.v."].contains { key.hasPrefix($0) && names.contains(String(key.dropFirst($0.count))) } }
            try reader.finish()
        } catch let error as ModelLoadError {
            throw DistillError.runCheckpoint(error)
        }
        var state: [String: AdamW.Moments] = [:]
        for (name, s) in steps {
            guard let m = dict["optim.m.\(name)"], let v = dict["optim.v.\(name)"] else { continue }
            let (mv, vv) = (m.floats(), v.floats())
            guard let n = counts[name], mv.count == n, vv.count == n, s >= 0,
                mv.allSatisfy(\.isFinite), vv.allSatisfy({ $0.isFinite && $0 >= 0 })
            else {
                throw DistillError.runDirectory(
                    "\(checkpointURL.path): the optimiser state of '\(name)' does not fit the parameter or is not finite; resume from an intact run folder or start a new run with another --out"
                )
            }
            state[name] = AdamW.Moments(step: s, m: mv, v: vv)
        }
        optimizer.restore(state)
        return step
    }

    /// Appends one JSON object per line.
    public func appendMetrics(_ record: MetricsRecord) throws {
        var line = try JSONEncoder().encode(record)
        line.append(UInt8(ascii: "\n"))
        if let handle = try? FileHandle(forWritingTo: metricsURL) {
            defer { try? handle.close() }
            try handle.seekToEnd()
            try handle.write(contentsOf: line)
        } else {
            try line.write(to: metricsURL)
        }
    }

    /// Drops metric lines after `step` (when resuming from a checkpoint older than the last logged step).
    public func truncateMetrics(after step: Int) throws {
        guard let text = try? String(contentsOf: metricsURL, encoding: .utf8) else { return }
        let kept = text.split(separator: "\n").filter { line in
            guard let r = try? JSONDecoder().decode(MetricsRecord.self, from: Data(line.utf8)) else { return false }
            return r.step <= step
        }
        try (kept.joined(separator: "\n") + (kept.isEmpty ? "" : "\n")).write(to: metricsURL, atomically: true, encoding: .utf8)
    }

    public func readMetrics() throws -> [MetricsRecord] {
        guard let text = try? String(contentsOf: metricsURL, encoding: .utf8) else { return [] }
        return try text.split(separator: "\n").map { try JSONDecoder().decode(MetricsRecord.self, from: Data($0.utf8)) }
    }
}

/// One line of `metrics.jsonl`.
public struct MetricsRecord: Codable, Sendable, Equatable {
    public var step: Int
    public var epoch: Int
    public var loss: Double
    public var losses: [String: Double]
    public var lr: Double
    public var weightDecay: Double
    public var gradNorm: Double
    public var clipsPerSecond: Double
    public var dataWaitFraction: Double
    /// How many optimiser steps the line averages: `--log-every`, fewer on the first line after a resume that was not
    /// on a `--log-every` boundary and on the last line of a run. Absent in lines written before it was recorded.
    public var stepsAveraged: Int?

    enum CodingKeys: String, CodingKey {
        case step, epoch, loss, losses, lr, weightDecay = "weight_decay", gradNorm = "grad_norm"
        case clipsPerSecond = "clips_per_s", dataWaitFraction = "data_wait_fraction", stepsAveraged = "steps_averaged"
    }
}

extension RunDirectory {
    /// The student of this run as of its last checkpoint, built from `config.json`.
    public func loadStudent() throws -> Student {
        let config = try readConfig()
        var rng = SplitMix64(seed: config.seed)
        let branches = config.objective.branches(teacherWidths: config.teacherWidths, geometry: config.geometry)
        var student = Student(
            fresh: config.model, branches: branches, dropPath: config.dropPath,
            positionEncoding: config.positionEncoding, using: &rng)
        var optimizer = AdamW()
        guard FileManager.default.fileExists(atPath: checkpointURL.path) else {
            throw DistillError.runDirectory("\(checkpointURL.path) does not exist: the run has not saved a checkpoint yet")
        }
        _ = try loadCheckpoint(into: &student, optimizer: &optimizer)
        return student
    }
}
