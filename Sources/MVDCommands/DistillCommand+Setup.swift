import ArgumentParser
import Collective
import Distill
import FeatureStore
import Foundation
import Models
import Tensor

extension DistillCommand {
    /// Builds the typed config, the student and the cache-backed data from the flags.
    func prepare() throws -> (TrainConfig, Student, CacheTrainingData) {
        let (config, clipFrames) = try trainConfig()
        var names: [String] = []
        if case .distill(let terms) = config.objective { names = terms.map(\.name) }
        let data: CacheTrainingData
        do {
            data = try CacheTrainingData(url: URL(fileURLWithPath: cache), teacherNames: names,
                                         tokens: imageModel ? 0 : config.model.videoTokens, numFrames: clipFrames,
                                         inputSize: config.model.inputSize, patchSize: config.model.patchSize,
                                         tubeletSize: config.model.tubeletSize, dataRoot: dataRoot)
        } catch { throw ValidationError("\(error)") }
        var rng = SplitMix64(seed: seed)
        let student = Student(fresh: config.model, branches: config.objective.branches(teacherWidths: config.teacherWidths, geometry: config.geometry),
                              dropPath: dropPath, positionEncoding: config.positionEncoding, using: &rng)
        return (config, student, data)
    }

    /// The typed, validated config of the flags. The cache is read only for what the flags leave open: the teachers
    /// (names and feature widths) and, for image models, the frames per clip, which is returned with the config.
    func trainConfig() throws -> (TrainConfig, clipFrames: Int) {
        var (arch, model) = try studentModel()
        if let d = decoderDepth {
            try FlagChecks.integer("--decoder-depth", d, in: 1...ModelConfig.limits.depth)
            model.decoder = Student.decoderConfig(model).with(depth: d)
        }
        let cacheURL = URL(fileURLWithPath: cache)
        let needsCache = target == .features || imageModel
        let reader: FeatureStoreReader?
        do { reader = needsCache ? try FeatureStoreReader(at: cacheURL) : nil } catch { throw ValidationError("\(error)") }
        let names: [String]
        if target == .pixels {
            names = []
        } else if let list = teachers {
            names = list.split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimmingCharacters(in: .whitespaces) }
        } else {
            names = reader?.teachers.map(\.name) ?? []
        }
        let clipFrames = imageModel ? reader?.attributes.numFrames ?? 1 : model.numFrames
        let objective = try makeObjective(names)
        var widths: [String: Int] = [:], kinds: [String: TeacherKind] = [:]
        for name in names {
            guard let spec = reader?.teachers.first(where: { $0.name == name }) else {
                throw ValidationError("--teachers: the cache \(cache) has no teacher '\(name)'; it holds "
                                      + "\((reader?.teachers.map(\.name) ?? []).joined(separator: ", "))")
            }
            widths[name] = spec.embedDim
            kinds[name] = spec.kind
        }
        let encoding = positionTable ?? (target == .features ? .sincos3D : (imageModel ? .sincos2D : .sinusoid1D))
        let config = TrainConfig(model: model, architecture: arch, positionEncoding: encoding, objective: objective,
                                 imageFrameStride: imageModel ? 2 : nil, samplesPerRow: imageModel ? (clipFrames + 1) / 2 : 1, mask: imageModel ? .random : mask,
                                 maskRatio: maskRatio ?? (imageModel ? 0.75 : 0.9), epochs: epochs, batchSize: batchSize,
                                 accumulate: accumulate, ranks: LaunchEnvironment().size, baseLR: lr, minLR: minLR, warmupEpochs: warmupEpochs,
                                 weightDecay: weightDecay, clipGrad: clipGrad, dropPath: dropPath, seed: seed,
                                 saveEvery: saveEvery, logEvery: logEvery, teacherWidths: widths,
                                 teacherKinds: target == .features ? kinds : nil,
                                 precision: precision.resolved(recorded: resumedPrecision()))
        do { try config.validate() } catch { throw ValidationError("\(error)") }
        return (config, clipFrames)
    }

    /// With --resume, the precision the run was started in (a resumed run keeps it unless --precision says otherwise,
    /// and then the resume check names the difference).
    private func resumedPrecision() -> Precision? {
        guard resume else { return nil }
        return try? RunDirectory(URL(fileURLWithPath: out)).readConfig().precision
    }

    private func studentModel() throws -> (String, ModelConfig) {
        var options = ModelOptions()
        options.arch = student
        options.modelConfig = modelConfig
        var (arch, model) = try options.resolve(defaultArch: "vit_small")
        if imageModel {
            guard target == .pixels else { throw ValidationError("--image-model trains with --target pixels") }
            model.numFrames = 1
            model.tubeletSize = 1
        }
        return (arch, model)
    }

    private func makeObjective(_ names: [String]) throws -> Objective {
        if target == .pixels { return .pixels(pixelNorm == .none ? .raw : (imageModel ? .mae : .videoMAE)) }
        guard pixelNorm == .patch else { throw ValidationError("--pixel-norm applies to --target pixels") }
        guard !names.isEmpty else { throw ValidationError("the cache has no teachers; run extract-features first, or use --target pixels") }
        let losses = loss.split(separator: ",").map(String.init), weights = lossWeight.split(separator: ",").map(String.init)
        func pick<T>(_ values: [String], _ i: Int, _ parse: (String) -> T?, _ flag: String) throws -> T {
            guard values.count == 1 || values.count == names.count, let v = parse(values.count == 1 ? values[0] : values[i]) else {
                throw ValidationError("\(flag) takes one value or one per teacher (\(names.joined(separator: ",")))")
            }
            return v
        }
        return .distill(try names.indices.map { i in
            TeacherTerm(name: names[i], loss: try pick(losses, i, { RegressionLoss(rawValue: $0) }, "--loss"),
                        weight: try pick(weights, i, { Float($0) }, "--loss-weight"), normalizeTargets: normTargets)
        })
    }
}

extension DecoderConfig {
    func with(depth: Int) -> DecoderConfig { DecoderConfig(embedDim: embedDim, depth: depth, numHeads: numHeads) }
}
