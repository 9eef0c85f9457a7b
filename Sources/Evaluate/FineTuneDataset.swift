import Tensor
import VideoIO

/// Which of the original's two fine-tuning recipes a run follows (docs/method.md §6.5, §6.6).
///
/// - `k400`: the dense sampler (16 frames from a window of 16 × the sampling rate), random horizontal flips, and
///   5 temporal × 3 spatial test views.
/// - `ssv2`: Something-Something v2's TSN sampler (the video cut into as many segments as the clip has frames,
///   one random frame from each; no sampling rate), no flips (its labels name left and right, which a mirror
///   image swaps), and 2 × 3 test views whose temporal views interleave within the segments.
public enum FineTuneDataset: String, Codable, Sendable, CaseIterable {
    case k400, ssv2

    /// Whether training clips may be mirrored.
    public var flips: Bool { self == .k400 }

    /// The original's temporal × spatial test views.
    public var testViews: (segments: Int, crops: Int) { self == .k400 ? (5, 3) : (2, 3) }

    /// The frames of a training clip.
    func trainingFrames(frameCount: Int, clipLength: Int, samplingRate: Int, using rng: inout SplitMix64) -> [Int] {
        switch self {
        case .k400:
            return TemporalSampling.kineticsDense(frameCount: frameCount, clipLength: clipLength, samplingRate: samplingRate, using: &rng)
        case .ssv2:
            return TemporalSampling.somethingSomething(frameCount: frameCount, segments: clipLength, using: &rng)
        }
    }

    /// The multi-view test views of a video.
    func testViews(
        frameCount: Int, width: Int, height: Int, clipLength: Int, samplingRate: Int, segments: Int, crops: Int,
        inputSize: Int
    ) -> [TestView] {
        switch self {
        case .k400:
            return TestViews.kinetics(
                frameCount: frameCount, width: width, height: height, clipLength: clipLength,
                samplingRate: samplingRate, segments: segments, crops: crops, inputSize: inputSize)
        case .ssv2:
            return TestViews.somethingSomething(
                frameCount: frameCount, width: width, height: height, clipLength: clipLength,
                segments: segments, crops: crops, inputSize: inputSize)
        }
    }
}
