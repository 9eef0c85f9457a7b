import Foundation
import Models
import Tensor
import VideoIO

/// Fine-tunes a `Classifier` on a manifest and tests it with the multi-view protocol.
public final class FineTuner {
    public let config: FineTuneConfig
    public private(set) var model: Classifier
    private var optimizer = AdamW(beta1: 0.9, beta2: 0.999, eps: 1e-8)

    public init(model: Classifier, config: FineTuneConfig) {
        self.model = model
        self.config = config
    }

    /// A random training view of a video: the dataset's temporal sampler, then `spatialView`.
    func trainingView(frameCount: Int, width: Int, height: Int, using rng: inout SplitMix64) -> ClipView {
        let frames = config.dataset.trainingFrames(
            frameCount: frameCount, clipLength: model.config.numFrames,
            samplingRate: config.samplingRate, using: &rng)
        return spatialView(frames: frames, width: width, height: height, using: &rng)
    }

    /// The crop of `config.crop` resized to the input size with plain bilinear, and a random flip (when `flip`).
    func spatialView(frames: [Int], width: Int, height: Int, using rng: inout SplitMix64) -> ClipView {
        let size = model.config.inputSize
        let box: CropBox
        switch config.crop {
        case .randomResized: box = RandomResizedCrop().sample(width: width, height: height, using: &rng)
        case .multiScale: box = MultiScaleCrop(inputSize: size).sample(width: width, height: height, using: &rng)
        }
        return ClipView(
            frames: frames, spatial: .cropThenResize(box: box, width: size, height: size),
            filter: .bilinear, flip: config.flip && rng.nextUniform() < 0.5)
    }

    /// `repeatedAugment` views of one decoded clip (the frames `frames` at the source resolution): each its own
    /// RandAugment draw on the full frames, then its own crop and flip, as the original augments a decoded clip
    /// `--num_sample` times.
    func augmentedViews(of decoded: Clip, frames: [Int], using rng: inout SplitMix64) -> [Clip] {
        (0..<config.repeatedAugment).map { _ in
            let steps = config.randAugment?.sample(using: &rng) ?? []
            let view = spatialView(frames: frames, width: decoded.width, height: decoded.height, using: &rng)
            return decoded.randAugmented(steps).applying(view)
        }
    }

    /// The training views of one video (`repeatedAugment` of them, sharing their frames).
    func trainingClips(_ entry: ManifestEntry, using rng: inout SplitMix64) throws -> [Clip] {
        let reader = try VideoReader(path: entry.resolvedPath)
        let info = reader.info
        let frames = config.dataset.trainingFrames(
            frameCount: info.frameCount, clipLength: model.config.numFrames,
            samplingRate: config.samplingRate, using: &rng)
        return augmentedViews(of: try reader.frames(at: frames), frames: frames, using: &rng)
    }

    /// A micro-batch of `entries`: their views normalised, each view erased with `randomErasing`, and the smoothed
    /// targets repeated to match (a video's views adjacent).
    func trainingBatch(_ entries: [ManifestEntry], classes: Int, using rng: inout SplitMix64) throws -> (clips: Tensor, targets: Tensor) {
        try trainingBatch(decoded: try entries.map { (entry: $0, clips: try trainingClips($0, using: &rng)) }, classes: classes, using: &rng)
    }

    /// The micro-batch of already decoded training views.
    func trainingBatch(
        decoded: [(entry: ManifestEntry, clips: [Clip])], classes: Int, using rng: inout SplitMix64
    ) throws -> (
        clips: Tensor, targets: Tensor
    ) {
        let entries = decoded.map(\.entry)
        var clips = ClipFeatures.batch(decoded.flatMap(\.clips))
        if config.randomErasing > 0 {
            let erasing = RandomErasing(probability: config.randomErasing)
            for i in 0..<clips.shape[0] { erasing.apply(to: &clips, clip: i, using: &rng) }
        }
        let labels = entries.flatMap { Array(repeating: $0.label, count: config.repeatedAugment) }
        return (clips, smoothedTargets(labels, classes: classes, smoothing: config.labelSmoothing))
    }

    /// The lr schedule over `videos` training videos and the optimiser steps of one epoch: peak and floor are the base
    /// values × total batch / 256, and an epoch is as many whole total batches as the videos fill.
    func schedule(videos: Int) throws -> (schedule: CosineSchedule, stepsPerEpoch: Int) {
        let steps = videos / config.totalBatch
        guard steps > 0 else {
            throw EvaluateError.invalidSetting(
                name: "--batch-size", value: "\(config.batchSize) × --accumulate \(config.accumulate)",
                expected: "a total batch of at most the number of training videos (\(videos))")
        }
        let schedule = CosineSchedule(
            base: scaledLearningRate(config.baseLR, totalBatch: config.totalBatch),
            final: scaledLearningRate(config.minLR, totalBatch: config.totalBatch),
            epochs: config.epochs, stepsPerEpoch: steps, warmupEpochs: config.warmupEpochs)
        return (schedule, steps)
    }

    /// The training views of the video at `order[position]`, or, when it fails to open or decode, of the next video
    /// in `order` that decodes (the original's loader retries another video too); each failing video is added to
    /// `skipped` once and not tried again. Throws when no training video decodes.
    func trainingClips(
        at position: Int, of order: [Int], in entries: [ManifestEntry], skipped: inout [SkippedVideo], bad: inout Set<Int>,
        using rng: inout SplitMix64
    ) throws -> (entry: ManifestEntry, clips: [Clip]) {
        for offset in 0..<order.count {
            let index = order[(position + offset) % order.count]
            guard !bad.contains(index) else { continue }
            do { return (entries[index], try trainingClips(entries[index], using: &rng)) } catch {
                bad.insert(index)
                skipped.append(SkippedVideo(path: entries[index].path, reason: "\(error)"))
            }
        }
        throw EvaluateError.noDecodableVideo(what: "fine-tuning set", count: entries.count, firstFailure: skipped.first?.reason ?? "")
    }

    /// Trains for `config.epochs` over `entries`; `progress(step, total, loss)` after each optimiser step. Returns the
    /// training videos that failed to decode and were replaced by others.
    @discardableResult
    public func train(
        _ entries: [ManifestEntry], classes: Int, progress: (Int, Int, Double) -> Void = { _, _, _ in }
    ) throws
        -> [SkippedVideo]
    {
        try config.validate()
        if let bad = entries.firstIndex(where: { $0.label < 0 || $0.label >= classes }) {
            throw EvaluateError.labelOutOfRange(what: "fine-tuning set", index: bad, label: entries[bad].label, classCount: classes)
        }
        let (schedule, steps) = try schedule(videos: entries.count)
        let (batch, accumulate) = (config.batchSize, config.accumulate)
        var rng = SplitMix64(seed: config.seed)
        let depth = model.blocks.count
        model.fcDropout = config.fcDropout
        var skipped: [SkippedVideo] = [], bad = Set<Int>()
        for epoch in 0..<config.epochs {
            var order = Array(entries.indices)
            for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
            for s in 0..<steps {
                model.zeroGrad()
                var loss = 0.0
                for m in 0..<accumulate {
                    let first = (s * accumulate + m) * batch
                    let decoded = try (first..<(first + batch)).map {
                        try trainingClips(at: $0, of: order, in: entries, skipped: &skipped, bad: &bad, using: &rng)
                    }
                    var (clips, targets) = try trainingBatch(decoded: decoded, classes: classes, using: &rng)
                    if config.mixup { mix(&clips, &targets, using: &rng) }
                    loss += try accumulateGradients(clips, targets, dropRng: rng.fork(UInt64((epoch * steps + s) * accumulate + m)), epoch: epoch)
                }
                let lr = Float(schedule.value(at: epoch * steps + s))
                optimizer.step(&model, lr: lr, weightDecay: Float(config.weightDecay)) {
                    fineTuneGroup(name: $0, shape: $1, depth: depth, layerDecay: self.config.layerDecay)
                }
                progress(epoch * steps + s + 1, config.epochs * steps, loss)
            }
        }
        return skipped
    }

    /// Forward and backward of one micro-batch, its gradients added to the model's scaled by 1 / `accumulate`, so that
    /// `accumulate` micro-batches of `batchSize` give the gradient of one batch of the total size (the loss is a mean
    /// over the batch). Drop path and dropout draw from `dropRng`. Returns the loss, also scaled.
    func accumulateGradients(_ clips: Tensor, _ targets: Tensor, dropRng: SplitMix64, epoch: Int) throws -> Double {
        var dropRng = dropRng
        let (logits, cache) = model.forward(clips, using: &dropRng)
        var (loss, grad) = softTargetCrossEntropy(logits: logits, targets: targets)
        guard loss.isFinite else { throw EvaluateError.nonFiniteLoss(epoch: epoch) }
        if config.accumulate > 1 {
            grad.scale(by: 1 / Float(config.accumulate))
            loss /= Double(config.accumulate)
        }
        model.backward(grad, cache)
        return loss
    }

    /// Mixup or per-frame CutMix of the batch with its reverse; targets mixed with the same λ.
    func mix(_ clips: inout Tensor, _ targets: inout Tensor, using rng: inout SplitMix64) {
        let b = clips.shape[0], per = clips.count / b
        let (t, h, w) = (clips.shape[2], clips.shape[3], clips.shape[4])
        let original = clips, originalTargets = targets
        var lambda: Float
        if rng.nextUniform() < 0.5 {
            lambda = betaSample(0.8, using: &rng)
            for i in 0..<clips.count {
                clips.storage[i] = lambda * original.storage[i] + (1 - lambda) * original.storage[(b - 1 - i / per) * per + i % per]
            }
        } else {
            let cut = (1 - betaSample(1, using: &rng)).squareRoot()
            let (ch, cw) = (Int(Float(h) * cut), Int(Float(w) * cut))
            let (cy, cx) = (Int(rng.next() % UInt64(h)), Int(rng.next() % UInt64(w)))
            let (y0, y1, x0, x1) = (max(cy - ch / 2, 0), min(cy + ch / 2, h), max(cx - cw / 2, 0), min(cx + cw / 2, w))
            for s in 0..<b {
                for c in 0..<3 {
                    for f in 0..<t {
                        for y in y0..<y1 {
                            for x in x0..<x1 {
                                let i = (((s * 3 + c) * t + f) * h + y) * w + x
                                clips.storage[i] = original.storage[(b - 1 - s) * per + i % per]
                            }
                        }
                    }
                }
            }
            lambda = 1 - Float((y1 - y0) * (x1 - x0)) / Float(h * w)
        }
        let k = targets.shape[1]
        for s in 0..<b {
            for j in 0..<k {
                targets.storage[s * k + j] = lambda * originalTargets.storage[s * k + j] + (1 - lambda) * originalTargets.storage[(b - 1 - s) * k + j]
            }
        }
    }

    /// Beta(a, a) from two gamma draws (Marsaglia–Tsang; a ≥ 1 directly, a < 1 by the power trick).
    func betaSample(_ a: Float, using rng: inout SplitMix64) -> Float {
        let x = gamma(a, using: &rng), y = gamma(a, using: &rng)
        return x / max(x + y, 1e-12)
    }

    private func gamma(_ a: Float, using rng: inout SplitMix64) -> Float {
        if a < 1 { return gamma(a + 1, using: &rng) * Foundation.pow(max(rng.nextUniform(), 1e-12), 1 / a) }
        let d = a - 1 / 3, c = 1 / (9 * d).squareRoot()
        while true {
            let x = rng.nextNormal(), v = Foundation.pow(1 + c * x, 3)
            if v > 0, Foundation.log(max(rng.nextUniform(), 1e-12)) < 0.5 * x * x + d - d * v + d * Foundation.log(v) { return d * v }
        }
    }

    /// The test views of a video: the dataset's grid of `testSegments` × `testCrops`.
    func testViews(frameCount: Int, width: Int, height: Int) -> [TestView] {
        let c = model.config
        return config.dataset.testViews(
            frameCount: frameCount, width: width, height: height, clipLength: c.numFrames,
            samplingRate: config.samplingRate, segments: config.testSegments, crops: config.testCrops,
            inputSize: c.inputSize)
    }

    /// The multi-view test (`testSegments` × `testCrops` views of the dataset's grid; softmax averaged per video).
    /// A video whose file or any of whose views fails to decode is left out whole, so that every tested video has
    /// all its views, and is returned in `skipped`.
    public func test(_ entries: [ManifestEntry]) -> (views: [ViewPrediction], skipped: [SkippedVideo]) {
        var views: [ViewPrediction] = []
        var skipped: [SkippedVideo] = []
        for (i, entry) in entries.enumerated() {
            do {
                let reader = try VideoReader(path: entry.resolvedPath)
                let info = reader.info
                var videoViews: [ViewPrediction] = []
                for tv in testViews(frameCount: info.frameCount, width: info.width, height: info.height) {
                    let clip = try reader.clip(for: tv.view)
                    let logits = model(ClipFeatures.batch([clip]))
                    videoViews.append(
                        ViewPrediction(
                            videoID: "\(i)", viewID: tv.temporalIndex * config.testCrops + tv.spatialIndex,
                            label: entry.label, logits: logits.storage))
                }
                views += videoViews
            } catch {
                skipped.append(SkippedVideo(path: entry.path, reason: "\(error)"))
            }
        }
        return (views, skipped)
    }
}
