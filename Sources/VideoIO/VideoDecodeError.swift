import CFFmpeg

/// An error raised while opening, decoding or encoding a video.
///
/// Every error names the file. When FFmpeg reported the failure, `ffmpegCode` holds its negative `AVERROR`
/// value and `ffmpegMessage` the `av_strerror` text for it. `description` ends with what to do next.
public struct VideoDecodeError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What went wrong, independent of the file.
    public enum Kind: String, Equatable, Sendable {
        /// No file exists at the path.
        case fileNotFound
        /// The file exists but has 0 bytes.
        case emptyFile
        /// FFmpeg could not open or probe the file as a media container.
        case cannotOpen
        /// The container holds no video stream (for example an audio-only file).
        case noVideoStream
        /// No decoder (or encoder) for the stream's codec is available in this FFmpeg build.
        case unsupportedCodec
        /// The container opened but holds no decodable frame.
        case noFrames
        /// A frame index outside `0..<frameCount` was requested.
        case frameIndexOutOfRange
        /// Decoding failed, or the decoder never produced a frame the index promised (truncated or corrupt data).
        case decodeFailed
        /// Writing a video failed.
        case encodeFailed
    }

    public let kind: Kind
    /// The video file the error is about.
    public let path: String
    /// The negative `AVERROR` code FFmpeg returned, when FFmpeg reported the failure.
    public let ffmpegCode: Int32?
    /// `av_strerror` text for `ffmpegCode`.
    public let ffmpegMessage: String?
    /// What was being done, with the numbers involved (frame index, frame count, codec name...).
    public let detail: String

    public init(_ kind: Kind, path: String, ffmpegCode: Int32? = nil, detail: String) {
        self.kind = kind
        self.path = path
        self.ffmpegCode = ffmpegCode
        self.ffmpegMessage = ffmpegCode.map(ffmpegErrorText)
        self.detail = detail
    }

    public var description: String {
        var text = "\(kind.rawValue): \(detail) [\(path)]"
        if let code = ffmpegCode, let message = ffmpegMessage { text += " (FFmpeg \(code): \(message))" }
        return text + ". " + hint
    }

    /// What the user can do about it.
    public var hint: String {
        switch kind {
        case .fileNotFound: return "Check the manifest path and --data-root."
        case .emptyFile: return "The file is empty; re-download or re-encode it, or drop it from the manifest."
        case .cannotOpen: return "The file is not a readable video; check it with `ffprobe FILE`."
        case .noVideoStream: return "Drop the file from the manifest or replace it with a video."
        case .unsupportedCodec: return "Re-encode the file, e.g. `ffmpeg -i IN -c:v libx264 OUT.mp4`."
        case .noFrames: return "The file has no decodable frames; re-encode it or drop it from the manifest."
        case .frameIndexOutOfRange: return "Sample indices with the video's frameCount (samplers pad short videos)."
        case .decodeFailed: return "The file is probably truncated or corrupt; re-encode it or drop it."
        case .encodeFailed: return "Check that the output folder is writable and the codec is installed."
        }
    }
}

/// The `av_strerror` text for an FFmpeg error code.
func ffmpegErrorText(_ code: Int32) -> String {
    var buffer = [CChar](repeating: 0, count: 256)
    av_strerror(code, &buffer, buffer.count)
    return String(cString: buffer)
}
