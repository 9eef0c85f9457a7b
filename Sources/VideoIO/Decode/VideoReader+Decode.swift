import CFFmpeg

extension VideoReader {
    /// The frames at `indices` as one clip (T = indices.count, at the video's width and height), in the
    /// order given. Indices may repeat and come in any order; each distinct frame is decoded once.
    public func frames(at indices: [Int]) throws(VideoDecodeError) -> Clip {
        for index in indices where index < 0 || index >= info.frameCount {
            throw VideoDecodeError(
                .frameIndexOutOfRange, path: path,
                detail: "frame \(index) requested, the video has \(info.frameCount) frames")
        }
        var decoded: [Int: [UInt8]] = [:]
        for target in Set(indices).sorted() {
            try advance(to: target)
            guard let rgb = converter.convert(frame!) else {
                throw VideoDecodeError(
                    .decodeFailed, path: path, ffmpegCode: lastDecodeError,
                    detail: "frame \(target) could not be converted to RGB24")
            }
            decoded[target] = rgb
        }
        return Clip(frames: indices.map { decoded[$0]! }, height: info.height, width: info.width)
    }

    /// Decodes the view's frames and applies its crop, resize and flip.
    public func clip(for view: ClipView) throws(VideoDecodeError) -> Clip {
        try frames(at: view.frames).applying(view)
    }

    /// Leaves frame `target` in `frame`, seeking when that is cheaper than decoding on.
    func advance(to target: Int) throws(VideoDecodeError) {
        if target == position, frame!.pointee.format >= 0 { return }  // still held (EOF empties `frame`)
        if target <= position || (timeline?.hasKeyframe(after: position, upTo: target) ?? false) {
            try seek(to: target)
        }
        while position < target {
            guard try receiveNextFrame() else {
                throw VideoDecodeError(
                    .decodeFailed, path: path, ffmpegCode: lastDecodeError ?? packetScanError,
                    detail: "the decoder stopped after frame \(position) before reaching frame \(target) of \(info.frameCount)")
            }
        }
        if position != target {
            throw VideoDecodeError(
                .decodeFailed, path: path, ffmpegCode: lastDecodeError,
                detail: "the decoder skipped frame \(target) (went from before it to frame \(position))")
        }
    }

    /// Seeks so that the next decoded frames start at or before `target`: to the keyframe before the target's
    /// timestamp, backing off 1 s, 2 s, 4 s… when the demuxer lands after it (MPEG-PS), else from the start.
    func seek(to target: Int) throws(VideoDecodeError) {
        guard let timeline else {
            try rewind()
            return
        }
        let ticksPerSecond = Double(timeBase.den) / Double(max(timeBase.num, 1))
        var backoff = 0.0
        for _ in 0..<6 {
            let stamp = timeline.pts[target] - Int64(backoff * ticksPerSecond)
            guard av_seek_frame(format, streamIndex, stamp, AVSEEK_FLAG_BACKWARD) >= 0 else { break }
            resetDecoder()
            guard try receiveNextFrame() else { break }
            if position <= target { return }
            backoff = backoff == 0 ? 1 : backoff * 2
        }
        try rewind()
    }

    /// Decodes every remaining frame in order, converting each to RGB when asked, and returns how many there were:
    /// the sequential pass that `mvd bench-decode` times.
    public func decodeRemainingFrames(convertToRGB: Bool) throws(VideoDecodeError) -> Int {
        var frames = 0
        while try receiveNextFrame() {
            if convertToRGB, converter.convert(frame!) == nil {
                throw VideoDecodeError(.decodeFailed, path: path, detail: "frame \(frames) could not be converted")
            }
            frames += 1
        }
        return frames
    }

    /// Decodes the next frame into `frame` and sets `position` to its index. Returns false at the end of
    /// the stream. Corrupt packets are skipped (their error kept in `lastDecodeError`).
    func receiveNextFrame() throws(VideoDecodeError) -> Bool {
        var consecutiveErrors = 0
        while true {
            let code = avcodec_receive_frame(codec, frame)
            if code == 0 {
                position = frameIndex(after: position)
                return true
            }
            if code == swav_AVERROR_EOF() { return false }
            if code != swav_EAGAIN() {
                lastDecodeError = code
                consecutiveErrors += 1
                if consecutiveErrors > 64 {
                    throw VideoDecodeError(.decodeFailed, path: path, ffmpegCode: code, detail: "the decoder keeps failing")
                }
                continue
            }
            if inputEnded { return false }
            try feedPacket()
        }
    }

    /// Sends the next video packet to the decoder, or the end-of-stream signal when the demuxer is done.
    private func feedPacket() throws(VideoDecodeError) {
        while true {
            let code = av_read_frame(format, packet)
            if code < 0 {
                if code != swav_AVERROR_EOF() { lastDecodeError = code }
                inputEnded = true
                _ = avcodec_send_packet(codec, nil)
                return
            }
            defer { av_packet_unref(packet) }
            guard packet!.pointee.stream_index == streamIndex else { continue }
            let sent = avcodec_send_packet(codec, packet)
            if sent < 0 && sent != swav_EAGAIN() { lastDecodeError = sent }
            return
        }
    }

    /// The index of the frame now in `frame`: from its timestamp when the timeline has timestamps,
    /// otherwise one past the previous frame.
    private func frameIndex(after previous: Int) -> Int {
        let stamp = frame!.pointee.best_effort_timestamp
        guard let timeline, stamp != swav_NOPTS_VALUE() else { return previous + 1 }
        return timeline.index(nearest: stamp)
    }
}
