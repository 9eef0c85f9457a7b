import CFFmpeg
import Foundation

/// Reads frames of one video file by index, frame-accurately, through libavformat/libavcodec/libswscale.
///
/// Opening the file demuxes every packet once (no decoding) to learn each frame's presentation timestamp,
/// so `info.frameCount` is exact even when the container's own count is wrong or absent. Frame `i` is the
/// i-th frame in presentation order (the same numbering as decord's `VideoReader[i]`). `frames(at:)`
/// decodes a list of indices: it seeks to the keyframe at or before a target and decodes forward, and
/// serves repeated and nearby indices from one decoding pass.
///
/// A reader holds FFmpeg state: use one per thread. Every failure throws `VideoDecodeError`.
public final class VideoReader {
    /// The file being read.
    public let path: String
    /// Frame count, size, rate and codec.
    public internal(set) var info = VideoInfo(
        frameCount: 0, width: 0, height: 0, frameRate: 0, codecName: "",
        containerFrameCount: nil, frameCountSource: .packetIndex, keyframeIndices: [],
        readErrorCode: nil)

    // Every stored property has a default so that a throwing init still runs deinit, which frees FFmpeg state.
    var format: UnsafeMutablePointer<AVFormatContext>?
    var codec: UnsafeMutablePointer<AVCodecContext>?
    var packet: UnsafeMutablePointer<AVPacket>?
    var frame: UnsafeMutablePointer<AVFrame>?
    var packetScanError: Int32?
    var streamIndex: Int32 = -1
    var timeBase = AVRational(num: 1, den: 1)
    /// Per-frame timestamps; nil when the packets carry none (then the reader decodes from the start).
    var timeline: FrameTimeline?
    var converter = RGBConverter(width: 1, height: 1)
    /// Index of the frame now held in `frame`; -1 when none (at the start, or just after a seek).
    var position = -1
    /// Whether the demuxer is exhausted and the decoder has been told so.
    var inputEnded = false
    /// The last error the decoder or demuxer reported while going on past it (corrupt packets).
    var lastDecodeError: Int32?

    /// Opens `path` and indexes its frames.
    public init(path: String, options: DecodeOptions = DecodeOptions()) throws(VideoDecodeError) {
        self.path = path
        try Self.checkFile(path)
        var context: UnsafeMutablePointer<AVFormatContext>?
        var code = avformat_open_input(&context, path, nil, nil)
        guard code >= 0, let context else {
            throw VideoDecodeError(.cannotOpen, path: path, ffmpegCode: code, detail: "avformat_open_input failed")
        }
        format = context
        packet = av_packet_alloc()
        frame = av_frame_alloc()
        code = avformat_find_stream_info(context, nil)
        guard code >= 0 else {
            throw VideoDecodeError(.cannotOpen, path: path, ffmpegCode: code, detail: "avformat_find_stream_info failed")
        }
        let stream = try Self.findVideoStream(context, path: path)
        streamIndex = stream.index
        timeBase = stream.time_base
        codec = try Self.openDecoder(stream, threads: options.threads, path: path)
        let parameters = stream.codecpar.pointee
        converter = RGBConverter(width: Int(parameters.width), height: Int(parameters.height))
        try indexFrames(stream)
    }

    deinit {
        avcodec_free_context(&codec)
        avformat_close_input(&format)
        av_packet_free(&packet)
        av_frame_free(&frame)
    }

    private static func checkFile(_ path: String) throws(VideoDecodeError) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw VideoDecodeError(.fileNotFound, path: path, ffmpegCode: swav_AVERROR_ENOENT(), detail: "no such file")
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? nil
        if size == 0 {
            throw VideoDecodeError(.emptyFile, path: path, ffmpegCode: swav_AVERROR_INVALIDDATA(), detail: "the file has 0 bytes")
        }
    }

    private static func findVideoStream(
        _ context: UnsafeMutablePointer<AVFormatContext>, path: String
    )
        throws(VideoDecodeError) -> AVStream
    {
        let index = av_find_best_stream(context, AVMEDIA_TYPE_VIDEO, -1, -1, nil, 0)
        guard index >= 0, let stream = context.pointee.streams[Int(index)] else {
            throw VideoDecodeError(
                .noVideoStream, path: path, ffmpegCode: index < 0 ? index : nil,
                detail: "no video stream among \(context.pointee.nb_streams) streams")
        }
        if stream.pointee.disposition & AV_DISPOSITION_ATTACHED_PIC != 0 {
            throw VideoDecodeError(
                .noVideoStream, path: path, ffmpegCode: swav_AVERROR_STREAM_NOT_FOUND(),
                detail: "the only picture stream is attached cover art")
        }
        return stream.pointee
    }

    private static func openDecoder(
        _ stream: AVStream, threads: Int, path: String
    )
        throws(VideoDecodeError) -> UnsafeMutablePointer<AVCodecContext>
    {
        let parameters = stream.codecpar!
        let name = String(cString: avcodec_get_name(parameters.pointee.codec_id))
        guard let decoder = avcodec_find_decoder(parameters.pointee.codec_id) else {
            throw VideoDecodeError(
                .unsupportedCodec, path: path, ffmpegCode: swav_AVERROR_DECODER_NOT_FOUND(),
                detail: "no decoder for codec \(name)")
        }
        guard parameters.pointee.width > 0, parameters.pointee.height > 0 else {
            throw VideoDecodeError(
                .noFrames, path: path, ffmpegCode: swav_AVERROR_INVALIDDATA(),
                detail: "the \(name) stream has no frame size")
        }
        var context = avcodec_alloc_context3(decoder)
        var code = avcodec_parameters_to_context(context, parameters)
        if code >= 0 {
            context?.pointee.thread_count = Int32(max(threads, 0))
            context?.pointee.thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE
            code = avcodec_open2(context, decoder, nil)
        }
        guard code >= 0, let opened = context else {
            avcodec_free_context(&context)
            throw VideoDecodeError(.unsupportedCodec, path: path, ffmpegCode: code, detail: "cannot open the \(name) decoder")
        }
        return opened
    }
}
