import CFFmpeg

/// A video codec `VideoEncoder` can write. The container comes from the file extension (.mp4, .mkv, .webm, .avi).
public enum VideoCodec: String, CaseIterable, Sendable, Codable {
    /// H.264 through libx264, 4:2:0 (lossy; needs even width and height).
    case h264
    /// MPEG-4 part 2, FFmpeg's native encoder, 4:2:0 (lossy; always available).
    case mpeg4
    /// VP9 through libvpx, 4:2:0 (lossy).
    case vp9
    /// FFV1, lossless RGB.
    case ffv1
    /// PNG frames, lossless RGB24 (as in the tiny fixture clip).
    case png

    /// FFmpeg encoder name.
    var encoderName: String {
        switch self {
        case .h264: return "libx264"
        case .mpeg4: return "mpeg4"
        case .vp9: return "libvpx-vp9"
        case .ffv1: return "ffv1"
        case .png: return "png"
        }
    }

    /// Pixel format the encoder is fed (RGB codecs keep the bytes exactly).
    var pixelFormat: AVPixelFormat {
        switch self {
        case .h264, .mpeg4, .vp9: return AV_PIX_FMT_YUV420P
        case .ffv1: return AV_PIX_FMT_BGR0
        case .png: return AV_PIX_FMT_RGB24
        }
    }

    /// Whether decoding gives back exactly the RGB bytes that were encoded.
    public var isLossless: Bool { self == .ffv1 || self == .png }

    /// H.264 when this FFmpeg build has libx264, otherwise MPEG-4 part 2.
    public static var bestAvailableLossy: VideoCodec {
        avcodec_find_encoder_by_name(VideoCodec.h264.encoderName) != nil ? .h264 : .mpeg4
    }
}

/// Settings for `VideoEncoder`.
public struct EncodeOptions: Equatable, Sendable, Codable {
    public var codec: VideoCodec
    /// Frames per second (the stream's time base is 1/frameRate; frame n has pts n).
    public var frameRate: Int
    /// Frames between keyframes.
    public var gopSize: Int
    /// Largest run of B-frames (0 for none; MPEG-4 and H.264 only).
    public var maxBFrames: Int
    /// Codec quality: CRF for H.264 (default 20) and VP9 (default 32), qscale for MPEG-4 (default 3).
    public var quality: Int?
    /// Encoder threads; 1 keeps the output byte-identical from run to run.
    public var threads: Int

    public init(
        codec: VideoCodec = .bestAvailableLossy, frameRate: Int = 25, gopSize: Int = 12, maxBFrames: Int = 0,
        quality: Int? = nil, threads: Int = 1
    ) {
        self.codec = codec
        self.frameRate = frameRate
        self.gopSize = gopSize
        self.maxBFrames = maxBFrames
        self.quality = quality
        self.threads = threads
    }
}
