import CFFmpeg

extension VideoReader {
    /// Demuxes every packet of the video stream once to build the frame timeline, fills `info`, and
    /// rewinds. Falls back to counting by decoding when the packets carry no timestamps.
    func indexFrames(_ stream: AVStream) throws(VideoDecodeError) {
        var stamps: [Int64] = []
        var keyStamps: [Int64] = []
        var missingTimestamp = false
        let noPTS = swav_NOPTS_VALUE()
        while true {
            let code = av_read_frame(format, packet)
            if code < 0 {
                if code != swav_AVERROR_EOF() { packetScanError = code }
                break
            }
            defer { av_packet_unref(packet) }
            let p = packet!.pointee
            guard p.stream_index == streamIndex, p.flags & AV_PKT_FLAG_DISCARD == 0 else { continue }
            // Decode timestamps are no substitute: AVI with B-frames has pts on some packets only, and
            // its frames come out one timestamp late. Without a pts on every packet, count by decoding.
            if p.pts == noPTS {
                missingTimestamp = true
                continue
            }
            stamps.append(p.pts)
            if p.flags & AV_PKT_FLAG_KEY != 0 { keyStamps.append(p.pts) }
        }
        let parameters = stream.codecpar.pointee
        let name = String(cString: avcodec_get_name(parameters.codec_id))
        var count = stamps.count
        var source = VideoInfo.FrameCountSource.packetIndex
        if missingTimestamp || Set(stamps).count != stamps.count {
            timeline = nil
            try rewind()
            count = try countByDecoding()
            source = .decoding
        } else {
            let sorted = stamps.sorted()
            let line = FrameTimeline(pts: sorted, keyframeIndices: [])
            let keys = Array(Set(keyStamps.map { line.index(nearest: $0) })).sorted()
            timeline = FrameTimeline(pts: sorted, keyframeIndices: keys)
        }
        guard count > 0 else {
            throw VideoDecodeError(
                .noFrames, path: path, ffmpegCode: packetScanError ?? lastDecodeError,
                detail: "the \(name) stream holds no frames")
        }
        info = VideoInfo(
            frameCount: count, width: Int(parameters.width), height: Int(parameters.height),
            frameRate: Self.rate(stream), codecName: name,
            containerFrameCount: stream.nb_frames > 0 ? Int(stream.nb_frames) : nil,
            frameCountSource: source, keyframeIndices: timeline?.keyframeIndices ?? [0],
            readErrorCode: packetScanError)
        try rewind()
    }

    /// Frames per second from the stream's average rate, else its base rate.
    static func rate(_ stream: AVStream) -> Double {
        for r in [stream.avg_frame_rate, stream.r_frame_rate] where r.num > 0 && r.den > 0 {
            return Double(r.num) / Double(r.den)
        }
        return 0
    }

    /// Decodes the whole stream and returns how many frames came out.
    func countByDecoding() throws(VideoDecodeError) -> Int {
        var count = 0
        while try receiveNextFrame() { count += 1 }
        return count
    }

    /// Back to the first frame. With a timeline, seek to frame 0's timestamp and check that frame 0 comes
    /// out (it is then held in `frame`, `position == 0`); demuxers that land elsewhere (MPEG-PS overshoots),
    /// and files without timestamps, are reopened instead, which always starts at the beginning.
    func rewind() throws(VideoDecodeError) {
        if let first = timeline?.pts.first, av_seek_frame(format, streamIndex, first, AVSEEK_FLAG_BACKWARD) >= 0 {
            resetDecoder()
            if try receiveNextFrame(), position == 0 { return }
        }
        try reopenDemuxer()
    }

    /// Closes and reopens the container, then flushes the decoder (position -1, at the start).
    private func reopenDemuxer() throws(VideoDecodeError) {
        avformat_close_input(&format)
        var code = avformat_open_input(&format, path, nil, nil)
        if code >= 0 { code = avformat_find_stream_info(format, nil) }
        guard code >= 0 else {
            throw VideoDecodeError(.cannotOpen, path: path, ffmpegCode: code, detail: "reopening the file to rewind failed")
        }
        resetDecoder()
    }

    /// Flushes the decoder after a seek and marks the position unknown.
    func resetDecoder() {
        avcodec_flush_buffers(codec)
        inputEnded = false
        position = -1
    }
}
