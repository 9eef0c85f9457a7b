import FeatureStore
import Foundation
import Tensor
import VideoIO

extension Extractor {
    /// Processes every remaining video of this shard. Failed videos (not decodable, or a teacher output that
    /// cannot be stored) are recorded with their reason; the run goes on.
    public func run(progress: (ExtractProgress) throws -> Void) throws -> ExtractSummary {
        // One packing of the frozen teacher's weights serves every clip.
        try ComputePrecision.with(config.precision) { try WeightPacks.scope { try runInPrecision(progress: progress) } }
    }

    private func runInPrecision(progress: (ExtractProgress) throws -> Void) throws -> ExtractSummary {
        var summary = ExtractSummary()
        summary.skippedKeys = skippedKeys
        let start = Date()
        let videos = writer.remainingVideos()
        let rowsTotal = videos.reduce(0) { $0 + writer.rows(ofVideo: $1).count }
        // Rows of videos an earlier run finished count as already done too (a complete cache is all done).
        let remaining = Set(videos)
        for video in writer.videoRange where !remaining.contains(video) && (try? writer.status(ofVideo: video)) == .ok {
            summary.rowsAlreadyDone += writer.rows(ofVideo: video).count
        }
        let producer = ClipProducer(videos: videos) { [self] in self.decode($0) }
        defer { producer.stop() }
        var batch: [(row: Int, video: Int, clip: Clip)] = [], waiting: [(video: Int, lastRow: Int)] = []
        var rowsSeen = 0, writtenRows = Set<Int>(), failedVideos = Set<Int>()
        // A video is finished (status ok) only once all its rows hold features, in manifest order; one that
        // failed on a row has its status already.
        func finishReady() throws {
            while let first = waiting.first, first.lastRow < 0 || writtenRows.contains(first.lastRow) {
                if !failedVideos.contains(first.video) { try writer.finishVideo(first.video) }
                waiting.removeFirst()
            }
        }
        func flush() throws {
            try runTeacher(on: batch, failedVideos: &failedVideos, summary: &summary)
            writtenRows.formUnion(batch.map(\.row))
            batch.removeAll()
            try finishReady()
            let elapsed = Date().timeIntervalSince(start), rate = Double(summary.rowsWritten) / max(elapsed, 1e-9)
            try progress(
                ExtractProgress(
                    rowsDone: rowsSeen, rowsTotal: rowsTotal, videosFailed: summary.videosFailed,
                    clipsPerSecond: rate, secondsRemaining: Double(rowsTotal - rowsSeen) / max(rate, 1e-9)))
        }
        while case let (next?, waited) = producer.next() {
            summary.waitSeconds += waited
            summary.decodeSeconds += next.decodeSeconds
            let rowCount = writer.rows(ofVideo: next.video).count
            rowsSeen += rowCount
            if let failure = next.failure {
                try writer.failVideo(next.video, reason: failure)
                summary.videosFailed += 1
                summary.failures.append((entries[next.video].path, failure))
                continue
            }
            summary.rowsAlreadyDone += rowCount - next.rows.count
            guard let last = next.rows.last else {
                waiting.append((next.video, -1))
                try finishReady()
                continue
            }
            for (row, clip, view, stored, teacherClip) in next.rows {
                if !stored { try storeView(row: row, clip: clip, view: view) }
                batch.append((row, next.video, teacherClip))
                if batch.count == config.batchSize { try flush() }
            }
            waiting.append((next.video, last.row))
            try finishReady()
        }
        try flush()
        try writer.close()
        summary.statisticsWritten = writer.statisticsWritten
        summary.seconds = Date().timeIntervalSince(start)
        return summary
    }

    /// Writes the row's frames and crop (and pixels with --store-pixels) the first time the row is seen.
    private func storeView(row: Int, clip: Clip, view: VideoIO.ClipView) throws {
        guard case let .cropThenResize(box, _, _) = view.spatial else {
            preconditionFailure("cache views are crop-then-resize views, got \(view.spatial)")
        }
        try writer.writeView(
            row: row, RowView(frames: view.frames, crop: (box.x, box.y, box.width, box.height)),
            pixels: config.storePixels ? clip.pixels : nil)
    }

    /// Teacher forward on the batch's clips and one write per row. A row whose output cannot be stored (see
    /// `TeacherOutputCheck`) is not written and fails its video, like a decode failure; the other rows of a
    /// failed video are not written either.
    private func runTeacher(
        on batch: [(row: Int, video: Int, clip: Clip)], failedVideos: inout Set<Int>,
        summary: inout ExtractSummary
    ) throws {
        guard let first = batch.first?.clip else { return }
        guard let teacher, let spec else {  // views only
            summary.rowsWritten += batch.count
            summary.bytesWritten += config.storePixels ? batch.count * first.pixels.count : 0  // no teacher: the student's clip
            return
        }
        let (t, s) = (first.frameCount, first.height)
        var input = Tensor(shape: [batch.count, 3, t, s, s])
        let per = 3 * t * s * s
        for (i, item) in batch.enumerated() {
            input.storage.replaceSubrange(i * per..<(i + 1) * per, with: item.clip.normalizedChannelsFirst())
        }
        let forwardStart = Date()
        let features = teacher.features(input)  // [B, L, D]
        summary.forwardSeconds += Date().timeIntervalSince(forwardStart)
        let writeStart = Date()
        let rowSize = features.count / batch.count
        var written = 0
        try features.withUnsafeBufferPointer { p in
            for (i, item) in batch.enumerated() where !failedVideos.contains(item.video) {
                let row = UnsafeBufferPointer(rebasing: p[i * rowSize..<(i + 1) * rowSize])
                if let problem = TeacherOutputCheck.problem(in: row, channels: spec.embedDim, float16: spec.dtype == .float16) {
                    let reason = "row \(item.row): \(problem)"
                    try writer.failVideo(item.video, reason: reason)
                    failedVideos.insert(item.video)
                    summary.videosFailed += 1
                    summary.failures.append((entries[item.video].path, reason))
                    continue
                }
                try writer.writeFeatures(row: item.row, teacher: spec.name, float32: row)
                written += 1
            }
        }
        summary.writeSeconds += Date().timeIntervalSince(writeStart)
        summary.rowsWritten += written
        summary.bytesWritten += written * spec.dtype.bytesPerRow(tokens: spec.tokenCount, width: spec.embedDim)
    }
}
