import CFFmpeg

/// Writes RGB24 frames to a video file through libavcodec/libavformat.
///
/// ```swift
/// let encoder = try VideoEncoder(path: "out.mp4", width: 64, height: 64, options: EncodeOptions(codec: .h264))
/// try encoder.append(clip)      // (T, H, W, 3) bytes at the encoder's size
/// try encoder.finish()          // flushes the codec and writes the container trailer
/// ```
/// Errors are `VideoDecodeError` of kind `.encodeFailed` or `.unsupportedCodec`.
public final class VideoEncoder {
    public let path: String
    public let width: Int
    public let height: Int
    public let options: EncodeOptions

    // Every stored property has a default so that a throwing init still runs deinit.
    var format: UnsafeMutablePointer<AVFormatContext>?
    var codec: UnsafeMutablePointer<AVCodecContext>?
    var stream: UnsafeMutablePointer<AVStream>?
    var frame: UnsafeMutablePointer<AVFrame>?
    var packet: UnsafeMutablePointer<AVPacket>?
    var scaler: OpaquePointer?
    var framesWritten: Int64 = 0
    var fileOpen = false
    var finished = false

    /// Creates `path` (container from its extension) for `width` x `height` frames.
    public init(path: String, width: Int, height: Int, options: EncodeOptions = EncodeOptions()) throws(VideoDecodeError) {
        self.path = path
        self.width = width
        self.height = height
        self.options = options
        let needsEvenSize = options.codec.pixelFormat == AV_PIX_FMT_YUV420P
        guard width > 0, height > 0, !needsEvenSize || (width % 2 == 0 && height % 2 == 0) else {
            throw VideoDecodeError(.encodeFailed, path: path, detail: "\(options.codec) needs a positive even size, got \(width)x\(height)")
        }
        var context: UnsafeMutablePointer<AVFormatContext>?
        let code = avformat_alloc_output_context2(&context, nil, nil, path)
        guard code >= 0, let context else {
            throw VideoDecodeError(.encodeFailed, path: path, ffmpegCode: code, detail: "no container for this file extension")
        }
        format = context
        try openCodec()
        try openStreamAndFile()
        frame = av_frame_alloc()
        packet = av_packet_alloc()
        frame!.pointee.format = options.codec.pixelFormat.rawValue
        frame!.pointee.width = Int32(width)
        frame!.pointee.height = Int32(height)
        try check(av_frame_get_buffer(frame, 0), "av_frame_get_buffer")
        // The planes' rows are padded to an aligned line size that nothing writes; zeroed, so that an encoder
        // reading past a row's end reads the same bytes in every run.
        withUnsafePointer(to: &frame!.pointee.buf) { refs in
            refs.withMemoryRebound(to: UnsafeMutablePointer<AVBufferRef>?.self, capacity: 8) { refs in
                for i in 0..<8 { if let ref = refs[i] { memset(ref.pointee.data, 0, Int(ref.pointee.size)) } }
            }
        }
    }

    deinit {
        if fileOpen, !finished { av_write_trailer(format) }
        if let format, format.pointee.oformat.pointee.flags & AVFMT_NOFILE == 0 { avio_closep(&format.pointee.pb) }
        avformat_free_context(format)
        avcodec_free_context(&codec)
        av_frame_free(&frame)
        av_packet_free(&packet)
        sws_freeContext(scaler)
    }

    /// Zero bytes after a frame's last row, more than any libswscale SIMD path reads past a row's end.
    static let sourcePadding = 64

    /// Appends one frame of `height * width * 3` RGB24 bytes (row-major, tight rows).
    public func append<Bytes: Collection>(frame rgb: Bytes) throws(VideoDecodeError) where Bytes.Element == UInt8 {
        guard rgb.count == width * height * 3 else {
            throw VideoDecodeError(.encodeFailed, path: path, detail: "frame has \(rgb.count) bytes, expected \(width * height * 3)")
        }
        try check(av_frame_make_writable(frame), "av_frame_make_writable")
        // Zeroed padding after the last row: libswscale's SIMD converters read past the end of a row, and reading
        // whatever the allocator left there made the same clip encode differently from run to run.
        var bytes = [UInt8](repeating: 0, count: rgb.count + Self.sourcePadding)
        bytes.replaceSubrange(0..<rgb.count, with: rgb)
        scaler = sws_getCachedContext(
            scaler, Int32(width), Int32(height), AV_PIX_FMT_RGB24, Int32(width), Int32(height),
            options.codec.pixelFormat, SWS_BILINEAR | SWS_ACCURATE_RND, nil, nil, nil)
        bytes.withUnsafeBufferPointer { src in
            var srcPointers: [UnsafePointer<UInt8>?] = [src.baseAddress, nil, nil, nil]
            var srcStrides: [Int32] = [Int32(width * 3), 0, 0, 0]
            withUnsafePointer(to: &frame!.pointee.data) { data in
                data.withMemoryRebound(to: UnsafeMutablePointer<UInt8>?.self, capacity: 8) { dst in
                    withUnsafePointer(to: &frame!.pointee.linesize) { lines in
                        lines.withMemoryRebound(to: Int32.self, capacity: 8) { dstStrides in
                            _ = sws_scale(scaler, &srcPointers, &srcStrides, 0, Int32(height), dst, dstStrides)
                        }
                    }
                }
            }
        }
        frame!.pointee.pts = framesWritten
        framesWritten += 1
        try check(avcodec_send_frame(codec, frame), "avcodec_send_frame")
        try drainPackets()
    }

    /// Appends every frame of `clip`, whose frames must be `width` x `height`.
    public func append(_ clip: Clip) throws(VideoDecodeError) {
        guard clip.width == width, clip.height == height else {
            throw VideoDecodeError(.encodeFailed, path: path, detail: "clip is \(clip.width)x\(clip.height), encoder is \(width)x\(height)")
        }
        for t in 0..<clip.frameCount { try append(frame: clip.frame(t)) }
    }

    /// Flushes the encoder, writes the trailer and closes the file. Call once, after the last frame.
    public func finish() throws(VideoDecodeError) {
        guard !finished else { return }
        try check(avcodec_send_frame(codec, nil), "avcodec_send_frame(flush)")
        try drainPackets()
        finished = true
        try check(av_write_trailer(format), "av_write_trailer")
        if format!.pointee.oformat.pointee.flags & AVFMT_NOFILE == 0 { avio_closep(&format!.pointee.pb) }
    }

    /// Writes `clip` to `path` in one call.
    public static func write(_ clip: Clip, to path: String, options: EncodeOptions = EncodeOptions()) throws(VideoDecodeError) {
        let encoder = try VideoEncoder(path: path, width: clip.width, height: clip.height, options: options)
        try encoder.append(clip)
        try encoder.finish()
    }

    func check(_ code: Int32, _ what: String) throws(VideoDecodeError) {
        if code < 0 { throw VideoDecodeError(.encodeFailed, path: path, ffmpegCode: code, detail: "\(what) failed") }
    }

    private func drainPackets() throws(VideoDecodeError) {
        while true {
            let code = avcodec_receive_packet(codec, packet)
            if code == swav_EAGAIN() || code == swav_AVERROR_EOF() { return }
            try check(code, "avcodec_receive_packet")
            av_packet_rescale_ts(packet, codec!.pointee.time_base, stream!.pointee.time_base)
            packet!.pointee.stream_index = stream!.pointee.index
            let written = av_interleaved_write_frame(format, packet)
            av_packet_unref(packet)
            try check(written, "av_interleaved_write_frame")
        }
    }
}
