import Foundation
import Models
import Tensor
import VideoIO

extension ClipFeatures {
    /// The raw-pixel baseline: the centre view's normalised pixels, averaged over 2×2 blocks, followed by the
    /// differences of consecutive frames (so a linear probe can read motion without any learned encoder).
    /// [N, 3·T·(S/2)² + 3·(T−1)·(S/2)²] per manifest; videos that fail to decode are skipped and reported.
    public static func rawPixels(
        entries: [ManifestEntry], config: ModelConfig, samplingRate: Int,
        progress: (Int, Int) -> Void = { _, _ in }
    ) -> EncodedSet {
        let t = config.numFrames, half = config.inputSize / 2
        let frame = 3 * half * half
        var rows: [Float] = [], labels: [Int] = [], used: [Int] = [], failures: [SkippedVideo] = []
        for (i, entry) in entries.enumerated() {
            do {
                let reader = try VideoReader(path: entry.resolvedPath)
                let clip = try reader.clip(for: centerView(reader.info, config: config, samplingRate: samplingRate))
                let x = clip.normalizedChannelsFirst()  // [3, T, S, S]
                var pooled = [Float](repeating: 0, count: t * frame)  // [T, 3, S/2, S/2]
                let s = config.inputSize
                for c in 0..<3 {
                    for f in 0..<t {
                        for y in 0..<(2 * half) {
                            for xx in 0..<(2 * half) {
                                pooled[((f * 3 + c) * half + y / 2) * half + xx / 2] += 0.25 * x[((c * t + f) * s + y) * s + xx]
                            }
                        }
                    }
                }
                rows += pooled
                for f in 1..<t { for j in 0..<frame { rows.append(pooled[f * frame + j] - pooled[(f - 1) * frame + j]) } }
                used.append(i)
                labels.append(entry.label)
            } catch {
                failures.append(SkippedVideo(path: entry.path, reason: "\(error)"))
            }
            progress(i + 1, entries.count)
        }
        return EncodedSet(
            features: Tensor(shape: [used.count, (2 * t - 1) * frame], rows), labels: labels, used: used,
            failures: failures)
    }
}
