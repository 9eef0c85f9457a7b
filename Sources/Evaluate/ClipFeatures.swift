import Foundation
import Models
import Tensor
import VideoIO

/// Pooled encoder features (or raw-pixel features) of the deterministic centre view of every video of a manifest.
public struct EncodedSet: Sendable {
    /// [N, width], one row per video that decoded.
    public var features: Tensor
    public var labels: [Int]
    /// Manifest rows that were used (indices into the manifest).
    public var used: [Int]
    /// Manifest videos that failed to open or decode, in manifest order.
    public var failures: [SkippedVideo]
}

public enum ClipFeatures {
    /// The centre view (centred frames, short side resized to the input size, centre crop): the evaluation view.
    public static func centerView(_ info: VideoInfo, config: ModelConfig, samplingRate: Int) -> ClipView {
        ClipViews.center(
            frameCount: info.frameCount, width: info.width, height: info.height, numFrames: config.numFrames,
            samplingRate: samplingRate, inputSize: config.inputSize)
    }

    /// Normalised clips [B, 3, T, S, S] from uint8 clips [T, S, S, 3].
    public static func batch(_ clips: [Clip]) -> Tensor {
        let c = clips[0]
        return Tensor(shape: [clips.count, 3, c.frameCount, c.height, c.width], clips.flatMap { $0.normalizedChannelsFirst() })
    }

    /// Encodes the centre view of every entry (no masking) and pools the last block's tokens by `pooling`.
    /// Videos that fail to decode are skipped and reported.
    public static func pooled(
        encoder: Classifier, entries: [ManifestEntry], samplingRate: Int, pooling: FeaturePooling,
        batchSize: Int = 8, progress: (Int, Int) -> Void = { _, _ in }
    ) -> EncodedSet {
        var rows: [Float] = [], labels: [Int] = [], used: [Int] = [], failures: [SkippedVideo] = []
        var pending: [(Int, Clip)] = []
        let perStep = encoder.tokensPerTimeStep
        func flush() {
            guard !pending.isEmpty else { return }
            rows += pooling.apply(encoder.tokenFeatures(batch(pending.map(\.1))), perStep: perStep).storage
            used += pending.map(\.0)
            labels += pending.map { entries[$0.0].label }
            pending.removeAll()
        }
        WeightPacks.scope {  // the encoder is frozen: one packing of its weights serves every batch
            for (i, entry) in entries.enumerated() {
                do {
                    let reader = try VideoReader(path: entry.resolvedPath)
                    pending.append((i, try reader.clip(for: centerView(reader.info, config: encoder.config, samplingRate: samplingRate))))
                } catch {
                    failures.append(SkippedVideo(path: entry.path, reason: "\(error)"))
                }
                if pending.count == batchSize { flush() }
                progress(i + 1, entries.count)
            }
            flush()
        }
        let c = encoder.config
        let width = pooling.width(tokens: c.numFrames / c.tubeletSize * perStep, perStep: perStep, d: c.embedDim)
        return EncodedSet(features: Tensor(shape: [used.count, width], rows), labels: labels, used: used, failures: failures)
    }
}
