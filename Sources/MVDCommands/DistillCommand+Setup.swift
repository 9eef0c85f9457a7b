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
        let mode = try self.mode()
        var names: [String] = [], standardized: Set<String> = []
        if case .distill(let terms) = config.objective {
            names = terms.map(\.name)
            standardized = Set(terms.filter(\.standardizeTargets).map(\.name))
        }
        // A teacher without statistics is refused here, before the run directory is touched.
        let data = try CacheTrainingData(
            url: cache, teacherNames: names,
            tokens: mode.cacheTokens(config.model), numFrames: clipFrames,
            inputSize: config.model.inputSize, patchSize: config.model.patchSize,
            tubeletSize: config.model.tubeletSize, dataRoot: dataRoot?.path, standardizedTeachers: standardized)
        var rng = SplitMix64(seed: seed)
        let student = Student(
            fresh: config.model, branches: config.objective.branches(teacherWidths: config.teacherWidths, geometry: config.geometry),
            dropPath: dropPath, positionEncoding: config.positionEncoding, using: &rng)
        return (config, student, data)
    }

    /// The typed, validated config of the flags. The cache is read only for what the flags leave open: the teachers
    /// (names and feature widths) and, for image models, the frames per clip, which is returned with the config.
    func trainConfig() throws -> (TrainConfig, clipFrames: Int) {
        let mode = try self.mode()
        var (arch, model) = try studentModel(mode)
        if decoderDepth != nil || decoderWidth != nil || decoderHeads != nil {
            var decoder = Student.decoderConfig(model)
            if let d = decoderDepth {
                try FlagChecks.integer("--decoder-depth", d, in: 1...ModelConfig.limits.depth)
                decoder.depth = d
            }
            if let w = decoderWidth {
                try FlagChecks.integer("--decoder-width", w, in: 1...ModelConfig.limits.embedDim)
                decoder.embedDim = w
            }
            if let h = decoderHeads {
                try FlagChecks.integer("--decoder-heads", h, in: 1...ModelConfig.limits.numHeads)
                decoder.numHeads = h
            }
            guard decoder.embedDim % decoder.numHeads == 0, decoder.embedDim % 16 == 0 else {
                throw ValidationError(
                    "the decoder's width \(decoder.embedDim) must be a multiple of 16 and of its \(decoder.numHeads) heads; "
                        + "change --decoder-width or --decoder-heads")
            }
            model.decoder = decoder
        }
        // A missing or damaged cache is not a flag problem: its typed error is shown without the usage text.
        let reader = mode.readsCacheAttributes ? try FeatureStoreReader(at: cache) : nil
        let names: [String]
        if !mode.usesTeachers {
            names = []
        } else if let list = teachers {
            names = list.values
        } else {
            names = reader?.teachers.map(\.name) ?? []
        }
        let clipFrames = mode == .imagePixels ? reader?.attributes.numFrames ?? 1 : model.numFrames
        let objective = try makeObjective(names, mode: mode)
        var widths: [String: Int] = [:], kinds: [String: TeacherKind] = [:]
        for name in names {
            guard let spec = reader?.teachers.first(where: { $0.name == name }) else {
                throw ValidationError(
                    "--teachers: the cache \(cache.path) has no teacher '\(name)'; it holds "
                        + "\((reader?.teachers.map(\.name) ?? []).joined(separator: ", "))")
            }
            widths[name] = spec.embedDim
            kinds[name] = spec.kind
        }
        let config = TrainConfig(
            model: model, architecture: arch, positionEncoding: positionTable ?? mode.defaultPositionEncoding,
            objective: objective, imageFrameStride: mode.imageFrameStride,
            samplesPerRow: mode.samplesPerRow(clipFrames: clipFrames), mask: mode.mask(requested: mask),
            maskRatio: maskRatio ?? mode.defaultMaskRatio, epochs: epochs, batchSize: batchSize,
            accumulate: accumulate, ranks: LaunchEnvironment().size, baseLR: lr, minLR: minLR, warmupEpochs: warmupEpochs,
            weightDecay: weightDecay, clipGrad: clipGrad, dropPath: dropPath, seed: seed,
            saveEvery: saveEvery, logEvery: logEvery, teacherWidths: widths,
            teacherKinds: mode.usesTeachers ? kinds : nil,
            precision: precision.resolved(recorded: resumedPrecision()))
        do { try config.validate() } catch { throw ValidationError("\(error)") }
        return (config, clipFrames)
    }

    /// With --resume, the precision the run was started in (a resumed run keeps it unless --precision says otherwise,
    /// and then the resume check names the difference).
    private func resumedPrecision() -> Precision? {
        guard resume else { return nil }
        return try? RunDirectory(out).readConfig().precision
    }

    /// The mode of `--target` and `--image-model`.
    func mode() throws -> DistillMode {
        guard !imageModel || target == .pixels else { throw ValidationError("--image-model trains with --target pixels") }
        return DistillMode(pixelTargets: target == .pixels, imageModel: imageModel)
    }

    private func studentModel(_ mode: DistillMode) throws -> (String, ModelConfig) {
        var options = ModelOptions()
        options.arch = student
        options.modelConfig = modelConfig
        let (arch, model) = try options.resolve(defaultArch: "vit_small")
        return (arch, mode.studentModel(model))
    }

    private func makeObjective(_ names: [String], mode: DistillMode) throws -> Objective {
        if let pixels = mode.pixelTarget(normalizePatches: pixelNorm == .patch) {
            guard !standardizeTargets else {
                throw ValidationError("--standardize-targets applies to --target features (it standardises teacher features)")
            }
            return .pixels(pixels)
        }
        guard pixelNorm == .patch else { throw ValidationError("--pixel-norm applies to --target pixels") }
        guard !names.isEmpty else { throw ValidationError("the cache has no teachers; run extract-features first, or use --target pixels") }
        func pick<T>(_ list: CommaSeparated<T>, _ i: Int, _ flag: String) throws -> T {
            guard list.values.count == 1 || list.values.count == names.count else {
                throw ValidationError("\(flag) takes one value or one per teacher (\(names.joined(separator: ","))), got \(list.values.count)")
            }
            return list.values.count == 1 ? list.values[0] : list.values[i]
        }
        return .distill(
            try names.indices.map { i in
                TeacherTerm(
                    name: names[i], loss: try pick(loss, i, "--loss"), weight: try pick(lossWeight, i, "--loss-weight"),
                    normalizeTargets: normTargets, standardizeTargets: standardizeTargets)
            })
    }
}
