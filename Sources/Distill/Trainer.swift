import Collective
import Foundation
import Models
import Tensor

/// Progress of a run, reported after every optimiser step.
public struct TrainProgress: Sendable {
    public var step: Int, totalSteps: Int, epoch: Int
    public var loss: StepLoss
    public var lr: Double
    public var clipsPerSecond: Double
    public var dataWaitFraction: Double
    public var secondsRemaining: Double
    /// Summing this step's gradients over the processes: seconds, and bytes each process handed in (0 in one process).
    public var gradientSumSeconds: Double
    public var gradientSumBytes: Int
}

/// Trains a student (distillation from cached targets, or pixel targets) with AdamW, the per-step cosine schedule,
/// gradient accumulation, optional clipping, periodic atomic checkpoints and exact resumption.
///
/// An epoch is one pass over the videos, as in the original, whatever the number of cached views per video: epoch e
/// reads view (e + offset_v) mod K_v of video v, where K_v is the video's usable views and offset_v is drawn from
/// (seed, v), so that epoch 0 does not read view 0 of every video and K epochs read every view once (TinyViT replays
/// its stored augmentations the same way). More views give more augmentation, not longer epochs.
///
/// Every random decision is derived from (seed, step): the epoch's video order from (seed, epoch), each video's view
/// offset from (seed, video), each micro-batch's mask and drop-path draws from (seed, micro-batch index). A resumed
/// run therefore replays the same trajectory. With one view per video the video order is the row order of a
/// row-per-sample shuffle, so such caches train exactly as when an epoch counted rows.
///
/// Over several processes (`communicator.size` = N = `config.ranks`) a step has N × accumulate micro-batches, numbered
/// rank-major: rank r computes micro-batches r·accumulate ..< (r+1)·accumulate of the step, on its own slice of the
/// epoch's order, each scaled by 1 / (N × accumulate) as one process accumulating N × accumulate would scale it. The
/// gradients are then summed over the ranks in rank order (`GradientSum`) and every rank takes the same AdamW step.
/// Rank 0 alone writes the run directory.
public final class Trainer {
    /// The run's config; after a resume that changed `--epochs` or `--warmup-epochs`, with the change in `history`.
    public private(set) var config: TrainConfig
    public let run: RunDirectory
    private let data: TrainingData
    public private(set) var student: Student
    private var optimizer: AdamW
    private let videoRows: [[Int]]
    private let viewOffsets: [Int]
    private let communicator: Communicator

    public init(
        config: TrainConfig, data: TrainingData, run: RunDirectory, student: Student,
        communicator: Communicator = SingleProcess()
    ) throws {
        try config.validate()
        guard config.ranks == communicator.size else {
            throw DistillError.invalidConfig(
                "the run is set up for \(config.ranks) processes but \(communicator.size) were started; "
                    + "start it with mpirun -n \(config.ranks), or set it up for \(communicator.size)")
        }
        self.communicator = communicator
        let videoRows = data.videoRows
        guard config.stepsPerEpoch(videos: videoRows.count) > 0 else {
            throw DistillError.notEnoughData(videos: videoRows.count, batch: config.totalBatch)
        }
        self.config = config
        self.data = data
        self.run = run
        self.student = student
        self.videoRows = videoRows
        // A stream of its own, so that the epoch shuffle is the same whatever the number of views.
        let offsets = SplitMix64(seed: config.seed ^ 0x0FF5_E7_0F_71E35)
        self.viewOffsets = videoRows.indices.map { v in
            var rng = offsets.fork(UInt64(v))
            return Int(rng.next() % UInt64(videoRows[v].count))
        }
        self.optimizer = AdamW(beta1: config.beta1, beta2: config.beta2, eps: 1e-8)
    }

    public var stepsPerEpoch: Int { config.stepsPerEpoch(videos: videoRows.count) }
    public var totalSteps: Int { config.epochs * stepsPerEpoch }
    /// Videos read per epoch (one view each).
    public var videoCount: Int { videoRows.count }

    /// The view (position among the video's usable rows) that `epoch` reads of video `v`.
    public func view(ofVideo v: Int, epoch: Int) -> Int { (epoch + viewOffsets[v]) % videoRows[v].count }

    /// The rows of every epoch: one view of each video, the videos shuffled from (seed, epoch).
    public func epochOrder(_ epoch: Int) -> [Int] {
        var rng = SplitMix64(seed: config.seed ^ 0x5EED_0F_0DE5).fork(UInt64(epoch))
        var order = Array(0..<videoRows.count)
        for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
        return order.map { videoRows[$0][view(ofVideo: $0, epoch: epoch)] }
    }

    /// Runs to the end. With `resume`, continues from the run directory's checkpoint.
    /// `announce` gets one sentence per setting the resume changed (`--epochs`, `--warmup-epochs`), before training.
    public func train(
        resume: Bool, announce: (String) -> Void = { _ in }, progress: (TrainProgress) throws -> Void
    ) throws {
        try ComputePrecision.with(config.precision) {
            try trainInPrecision(resume: resume, announce: announce, progress: progress)
        }
    }

    private func trainInPrecision(
        resume: Bool, announce: (String) -> Void, progress: (TrainProgress) throws -> Void
    ) throws {
        // Resuming without a checkpoint would silently start from scratch (and replace the folder's metrics).
        if resume && !FileManager.default.fileExists(atPath: run.checkpointURL.path) {
            throw DistillError.runDirectory(
                "nothing to resume: \(run.checkpointURL.path) does not exist; start the run without --resume, or give the --out of the run to continue"
            )
        }
        let writes = communicator.isRoot
        if writes {
            try run.create()
            // A save killed in an earlier start of this run left a checkpoint-sized temporary; its writer is gone.
            run.removeDeadTemporaries()
        }
        var start = 0
        if resume {
            let saved = try run.readConfig()
            // A run saved before teacher kinds were recorded resumes as the same run; config.json then gains them.
            // Any split of the same total batch over processes, micro-batches and accumulation resumes it.
            var compared = saved.totalBatch == config.totalBatch ? config.withSplit(of: saved) : config
            if saved.teacherKinds == nil { compared.teacherKinds = nil }
            // The length of the schedule may change (the cosine is rebuilt for the new total and the step goes on), and
            // how often the run logs and saves does not touch the trajectory; everything else would continue another run.
            compared.epochs = saved.epochs
            compared.warmupEpochs = saved.warmupEpochs
            compared.logEvery = saved.logEvery
            compared.saveEvery = saved.saveEvery
            compared.history = saved.history
            if saved != compared {
                let batch =
                    saved.totalBatch == config.totalBatch
                    ? ""
                    : " The total batch (--batch-size × --accumulate × processes) is \(saved.totalBatch) saved and "
                        + "\(config.totalBatch) requested: it sets the learning rate and the steps per epoch; any split "
                        + "of \(saved.totalBatch) resumes."
                throw DistillError.invalidConfig(
                    "--resume with other settings than the run in \(run.url.path): "
                        + "\(TrainConfig.describeDifferences(saved: saved, requested: compared).joined(separator: "; ")). "
                        + "Each of these changes what the saved weights and optimiser moments were trained for (the model, "
                        + "its targets, its data order or its optimisation), so the run would not continue the same "
                        + "trajectory; rerun with the saved values (config.json), or start a new run with another --out. "
                        + "Only --epochs and --warmup-epochs (and --log-every, --save-every, --threads) may change on resume."
                        + batch)
            }
            start = try run.loadCheckpoint(into: &student, optimizer: &optimizer)
            guard start <= totalSteps else {
                throw DistillError.invalidConfig(
                    "--epochs \(config.epochs) ends at step \(totalSteps), before the checkpoint's step \(start) "
                        + "(saved --epochs \(saved.epochs)); a run cannot be shortened below where it is, so give at least "
                        + "--epochs \((start + stepsPerEpoch - 1) / stepsPerEpoch)")
            }
            let changes = TrainConfig.extendableFields.compactMap { field -> ConfigChange? in
                let (old, new) = field.key == "epochs" ? (saved.epochs, config.epochs) : (saved.warmupEpochs, config.warmupEpochs)
                return old == new ? nil : ConfigChange(step: start, flag: field.flag, from: old, to: new)
            }
            config.history = changes.isEmpty ? saved.history : (saved.history ?? []) + changes
            for change in changes {
                announce(
                    "resumed with \(change.flag) \(change.to) instead of \(change.from): the learning-rate schedule is rebuilt "
                        + "for \(totalSteps) steps and training continues from step \(start) (recorded in config.json)")
            }
        }
        // Every rank has read the run directory before rank 0 changes it.
        communicator.barrier()
        if writes {
            if resume { try run.truncateMetrics(after: start) } else { try? FileManager.default.removeItem(at: run.metricsURL) }
            try run.writeConfig(config)
        }
        guard start < totalSteps else { return }
        let prefetcher = Prefetcher(data: data, plan: plan(from: start))
        defer { prefetcher.stop() }
        try loop(from: start, prefetcher: prefetcher, progress: progress)
    }

    /// This rank's micro-batch row lists from optimiser step `start` to the end.
    func plan(from start: Int) -> [[Int]] {
        var out: [[Int]] = [], cachedEpoch = -1, order: [Int] = []
        let perStep = config.microBatchesPerStep, rank = communicator.rank
        for step in start..<totalSteps {
            let epoch = step / stepsPerEpoch, i = step % stepsPerEpoch
            if epoch != cachedEpoch {
                order = epochOrder(epoch)
                cachedEpoch = epoch
            }
            for j in 0..<config.accumulate {
                let first = (i * perStep + rank * config.accumulate + j) * config.batchSize
                out.append(Array(order[first..<first + config.batchSize]))
            }
        }
        return out
    }

    private var writes: Bool { communicator.isRoot }

    private func loop(from start: Int, prefetcher: Prefetcher, progress: (TrainProgress) throws -> Void) throws {
        let schedule = CosineSchedule(
            base: config.peakLR, final: config.floorLR, epochs: config.epochs,
            stepsPerEpoch: stepsPerEpoch, warmupEpochs: config.warmupEpochs)
        let masks = config.maskGenerator, base = SplitMix64(seed: config.seed)
        var window = MetricsWindow()
        var gradientSum = GradientSum(communicator: communicator)
        let runStart = Date()
        let perStep = config.microBatchesPerStep, firstMicro = communicator.rank * config.accumulate
        for step in start..<totalSteps {
            let stepStart = Date()
            student.zeroGrad()
            var loss = StepLoss(terms: [], total: 0), waited = 0.0
            for j in 0..<config.accumulate {
                let micro = UInt64(step * perStep + firstMicro + j)
                let (batch, wait) = try prefetcher.next()
                waited += wait
                let input = imageFrames(batch)
                var maskRng = base.fork(2 * micro), dropRng = base.fork(2 * micro + 1)
                let mask = masks.make(batch: input.clips.shape[0], using: &maskRng)
                let l = student.trainingStep(
                    input, mask: mask, objective: config.objective,
                    lossScale: 1 / Float(perStep), using: &dropRng)
                loss.terms =
                    loss.terms.isEmpty
                    ? l.terms.map { $0 / Double(perStep) }
                    : zip(loss.terms, l.terms).map { $0 + $1 / Double(perStep) }
                loss.total += l.total / Double(perStep)
            }
            let (sumSeconds, sumBytes) = gradientSum.sum(&student)
            // The losses are summed like the gradients, so every rank sees the same (non-finite on all, or on none).
            if communicator.size > 1 {
                let summed = communicator.sumInRankOrder([loss.total] + loss.terms)
                loss = StepLoss(terms: Array(summed.dropFirst()), total: summed[0])
            }
            guard loss.total.isFinite else {
                throw DistillError.nonFiniteLoss(step: step, terms: config.objective.termNames)
            }
            let lr = schedule.value(at: step)
            let gradNorm = config.clipGrad.map { student.clipGradients(maxNorm: $0) } ?? student.gradientNorm()
            optimizer.step(&student, lr: Float(lr), weightDecay: Float(config.weightDecay)) { mvdDecayGroup(name: $0, shape: $1) }
            let seconds = Date().timeIntervalSince(stepStart)
            window.add(loss: loss, gradNorm: gradNorm, clips: config.totalBatch, seconds: seconds, waited: waited)
            let done = step + 1
            if writes, done % config.logEvery == 0 || done == totalSteps {
                try run.appendMetrics(
                    window.record(
                        step: done, epoch: step / stepsPerEpoch, names: config.objective.termNames,
                        lr: lr, weightDecay: config.weightDecay))
                window = MetricsWindow()
            }
            if writes, done % config.saveEvery == 0 || done == totalSteps {
                try run.saveCheckpoint(student: &student, optimizer: optimizer, step: done)
            }
            let elapsed = Date().timeIntervalSince(runStart), rate = Double(done - start) / max(elapsed, 1e-9)
            try progress(
                TrainProgress(
                    step: done, totalSteps: totalSteps, epoch: step / stepsPerEpoch, loss: loss, lr: lr,
                    clipsPerSecond: Double(config.totalBatch) / max(seconds, 1e-9),
                    dataWaitFraction: waited / max(seconds, 1e-9),
                    secondsRemaining: Double(totalSteps - done) / max(rate, 1e-9),
                    gradientSumSeconds: sumSeconds, gradientSumBytes: sumBytes))
        }
    }

    /// For single-frame models, every `imageFrameStride`-th frame of each clip becomes its own sample.
    private func imageFrames(_ batch: TrainingBatch) -> TrainingBatch {
        guard let s = config.imageFrameStride else { return batch }
        let frames = strideFrames(batch.clips, stride: s)
        let (n, side) = (frames.shape[0], frames.shape[2])
        return TrainingBatch(clips: frames.reshaped([n, 3, 1, side, side]), teacherFeatures: batch.teacherFeatures)
    }
}

/// Averages over the steps between two metric lines.
struct MetricsWindow {
    var steps = 0, clips = 0
    var total = 0.0, terms: [Double] = [], gradNorm = 0.0, seconds = 0.0, waited = 0.0

    mutating func add(loss: StepLoss, gradNorm g: Double, clips c: Int, seconds s: Double, waited w: Double) {
        steps += 1
        clips += c
        total += loss.total
        gradNorm += g
        seconds += s
        waited += w
        terms = terms.isEmpty ? loss.terms : zip(terms, loss.terms).map(+)
    }

    func record(step: Int, epoch: Int, names: [String], lr: Double, weightDecay: Double) -> MetricsRecord {
        let n = Double(max(steps, 1))
        var losses: [String: Double] = [:]
        for (k, name) in names.enumerated() where k < terms.count { losses[name] = terms[k] / n }
        return MetricsRecord(
            step: step, epoch: epoch, loss: total / n, losses: losses, lr: lr, weightDecay: weightDecay,
            gradNorm: gradNorm / n, clipsPerSecond: Double(clips) / max(seconds, 1e-9),
            dataWaitFraction: waited / max(seconds, 1e-9), stepsAveraged: steps)
    }
}
