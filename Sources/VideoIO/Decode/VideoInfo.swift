/// What a video holds, as `VideoReader` found it when opening the file.
public struct VideoInfo: Equatable, Sendable {
    /// How `frameCount` was obtained.
    public enum FrameCountSource: String, Equatable, Sendable {
        /// Counted from the container's video packets (one timestamp per frame), without decoding.
        case packetIndex
        /// The packets carried no usable timestamps, so the frames were counted by decoding the whole file.
        case decoding
    }

    /// Number of frames; valid indices are `0..<frameCount` in presentation order.
    public let frameCount: Int
    /// Frame width in pixels (frames are returned at this size).
    public let width: Int
    /// Frame height in pixels.
    public let height: Int
    /// Frames per second (the stream's average rate, else its base rate; 0 when unknown).
    public let frameRate: Double
    /// FFmpeg's codec name, e.g. "h264", "vp9", "mpeg4", "png", "ffv1".
    public let codecName: String
    /// The frame count the container header states (`nb_frames`), nil when absent. It can be wrong; the
    /// reader never relies on it.
    public let containerFrameCount: Int?
    /// How `frameCount` was obtained.
    public let frameCountSource: FrameCountSource
    /// Indices of the frames that start a keyframe packet (where seeking lands), ascending.
    public let keyframeIndices: [Int]
    /// The FFmpeg error that stopped the packet scan before the end of the file (a truncated or corrupt
    /// file), nil when the file was read to its end. `frameCount` then counts only the readable frames;
    /// compare with `containerFrameCount` to see how many were lost.
    public let readErrorCode: Int32?

    /// Whether the file looks cut short: the demuxer stopped on an error, or the container promises more
    /// frames than its packets hold (an MP4 whose index survived but whose data did not).
    public var isIncomplete: Bool {
        readErrorCode != nil || (containerFrameCount.map { $0 > frameCount } ?? false)
    }
}

/// Options for `VideoReader`.
public struct DecodeOptions: Equatable, Sendable, Codable {
    /// Codec threads (frame and slice threading). 1 decodes on the calling thread only; 0 lets FFmpeg choose.
    public var threads: Int

    public init(threads: Int = 1) {
        self.threads = threads
    }
}

/// The presentation timestamps of every frame, ascending, from one pass over the packets.
struct FrameTimeline {
    /// `pts[i]` is the timestamp of frame i, in stream time-base units.
    let pts: [Int64]
    let keyframeIndices: [Int]

    /// The index whose timestamp is nearest to `timestamp`.
    func index(nearest timestamp: Int64) -> Int {
        var lo = 0, hi = pts.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if pts[mid] < timestamp { lo = mid + 1 } else { hi = mid }
        }
        if lo == pts.count { return pts.count - 1 }
        if lo > 0 && timestamp - pts[lo - 1] < pts[lo] - timestamp { return lo - 1 }
        return lo
    }

    /// Whether a keyframe lies in `(after, upTo]`, beyond `after + 1` (so that seeking beats decoding on).
    func hasKeyframe(after position: Int, upTo target: Int) -> Bool {
        keyframeIndices.contains { $0 > position + 1 && $0 <= target }
    }
}
