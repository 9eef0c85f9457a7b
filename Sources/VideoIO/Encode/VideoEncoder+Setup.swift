import CFFmpeg

extension VideoEncoder {
    /// Finds and opens the encoder with the options' rate, GOP, B-frames, quality and threads.
    func openCodec() throws(VideoDecodeError) {
        let name = options.codec.encoderName
        guard let encoder = avcodec_find_encoder_by_name(name) else {
            throw VideoDecodeError(
                .unsupportedCodec, path: path, ffmpegCode: swav_AVERROR_ENCODER_NOT_FOUND(),
                detail: "this FFmpeg build has no \(name) encoder")
        }
        codec = avcodec_alloc_context3(encoder)
        guard let context = codec else {
            throw VideoDecodeError(.encodeFailed, path: path, detail: "avcodec_alloc_context3 failed")
        }
        context.pointee.width = Int32(width)
        context.pointee.height = Int32(height)
        context.pointee.pix_fmt = options.codec.pixelFormat
        context.pointee.time_base = AVRational(num: 1, den: Int32(options.frameRate))
        context.pointee.framerate = AVRational(num: Int32(options.frameRate), den: 1)
        context.pointee.gop_size = Int32(options.gopSize)
        context.pointee.max_b_frames = Int32(options.maxBFrames)
        context.pointee.thread_count = Int32(options.threads)
        context.pointee.flags |= AV_CODEC_FLAG_BITEXACT
        if format!.pointee.oformat.pointee.flags & AVFMT_GLOBALHEADER != 0 {
            context.pointee.flags |= AV_CODEC_FLAG_GLOBAL_HEADER
        }
        applyQuality(context)
        try check(avcodec_open2(context, encoder, nil), "avcodec_open2(\(name))")
    }

    /// Codec-specific rate control: CRF for x264 and VP9, a fixed quantiser for MPEG-4.
    private func applyQuality(_ context: UnsafeMutablePointer<AVCodecContext>) {
        switch options.codec {
        case .h264:
            av_opt_set(context.pointee.priv_data, "preset", "veryfast", 0)
            av_opt_set(context.pointee.priv_data, "crf", "\(options.quality ?? 20)", 0)
        case .vp9:
            av_opt_set(context.pointee.priv_data, "crf", "\(options.quality ?? 32)", 0)
            av_opt_set(context.pointee.priv_data, "deadline", "realtime", 0)
            av_opt_set(context.pointee.priv_data, "cpu-used", "8", 0)
            context.pointee.bit_rate = 0
        case .mpeg4:
            context.pointee.flags |= AV_CODEC_FLAG_QSCALE
            context.pointee.global_quality = FF_QP2LAMBDA * Int32(options.quality ?? 3)
        case .ffv1, .png:
            break
        }
    }

    /// Adds the video stream, opens the output file and writes the container header.
    func openStreamAndFile() throws(VideoDecodeError) {
        guard let context = format, let newStream = avformat_new_stream(context, nil) else {
            throw VideoDecodeError(.encodeFailed, path: path, detail: "avformat_new_stream failed")
        }
        stream = newStream
        try check(avcodec_parameters_from_context(newStream.pointee.codecpar, codec), "avcodec_parameters_from_context")
        newStream.pointee.time_base = codec!.pointee.time_base
        newStream.pointee.avg_frame_rate = codec!.pointee.framerate
        context.pointee.flags |= AVFMT_FLAG_BITEXACT
        if context.pointee.oformat.pointee.flags & AVFMT_NOFILE == 0 {
            try check(avio_open(&context.pointee.pb, path, AVIO_FLAG_WRITE), "avio_open")
        }
        try check(avformat_write_header(context, nil), "avformat_write_header")
        fileOpen = true
    }
}
