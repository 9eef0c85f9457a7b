import FeatureStore
import Foundation
import Models
import Tensor
import TestSupport
import Testing

@testable import Distill

/// Rows of `views` consecutive views per video (row = video × views + view), loaded from synthetic clips.
final class MultiViewData: TrainingData {
    let rows: SyntheticData
    let views: Int
    init(videos: Int, views: Int, config: ModelConfig) {
        rows = SyntheticData(rows: videos * views, config: config)
        self.views = views
    }
    var rowCount: Int { rows.rowCount }
    var videoRows: [[Int]] { (0..<rowCount / views).map { v in Array(v * views..<(v + 1) * views) } }
    func load(rows batch: [Int]) throws -> TrainingBatch { try rows.load(rows: batch) }
}

/// An epoch is one pass over the videos, reading one cached view of each, rotating through the views across epochs.
@Suite("epochs over videos with several cached views", .serialized)
struct EpochViewTests {
    static let model = TrainerTests.model

    static func trainer(videos: Int, views: Int, epochs: Int, saveEvery: Int = 100, dir: URL? = nil) throws -> Trainer {
        try Trainer(
            config: TrainerTests.config(epochs: epochs, saveEvery: saveEvery),
            data: MultiViewData(videos: videos, views: views, config: model),
            run: RunDirectory(dir ?? FileManager.default.temporaryDirectory), student: TrainerTests.student())
    }

    @Test("with 3 views of 4 videos, epoch e reads one row per video, view (e + offset) mod 3, and 3 epochs read every row once")
    func oneViewPerVideo() throws {
        let k = 3, trainer = try Self.trainer(videos: 4, views: k, epochs: 6)
        #expect(trainer.stepsPerEpoch == 1, "4 videos / total batch 4, not 12 rows / 4")
        let epochs = (0..<6).map { trainer.epochOrder($0) }
        let offsets = epochs[0].sorted().map { $0 % k }
        for (e, order) in epochs.enumerated() {
            #expect(order.map { $0 / k }.sorted() == [0, 1, 2, 3], "epoch \(e): one row of each video")
            for row in order { #expect(row % k == (e + offsets[row / k]) % k, "epoch \(e), row \(row)") }
        }
        #expect(Set(offsets).count > 1, "not every video starts at the same view: \(offsets)")
        #expect(epochs[0..<k].flatMap { $0 }.sorted() == Array(0..<12))
        #expect(epochs[k..<2 * k].flatMap { $0 }.sorted() == Array(0..<12))
        // The plan the trainer feeds is these epochs, cut into micro-batches.
        #expect(trainer.plan(from: 0).flatMap { $0 } == epochs.flatMap { $0 })
    }

    @Test("steps per epoch count videos, not rows")
    func stepsCountVideos() throws {
        let trainer = try Self.trainer(videos: 9, views: 3, epochs: 2)
        #expect(trainer.stepsPerEpoch == 2 && trainer.totalSteps == 4, "9 videos / total batch 4 (drop-last)")
        #expect(throws: DistillError.notEnoughData(videos: 3, batch: 4)) {
            _ = try Self.trainer(videos: 3, views: 3, epochs: 2)
        }
    }

    @Test("with one view per video the plan is the row shuffle of an epoch counting rows")
    func oneViewKeepsTheRowPlan() throws {
        let config = TrainerTests.config(epochs: 3)
        let trainer = try Trainer(
            config: config, data: SyntheticData(rows: 10, config: Self.model),
            run: RunDirectory(FileManager.default.temporaryDirectory),
            student: TrainerTests.student())
        // The rule for a row-counted epoch: shuffle all rows from (seed, epoch), steps = rows / total batch.
        let rows = 10, steps = rows / config.totalBatch
        var expected: [[Int]] = []
        for epoch in 0..<config.epochs {
            var rng = SplitMix64(seed: config.seed ^ 0x5EED_0F_0DE5).fork(UInt64(epoch))
            var order = Array(0..<rows)
            for i in stride(from: rows - 1, to: 0, by: -1) { order.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
            for b in 0..<steps * config.accumulate {
                expected.append(Array(order[b * config.batchSize..<(b + 1) * config.batchSize]))
            }
        }
        #expect(trainer.stepsPerEpoch == steps)
        #expect(trainer.plan(from: 0) == expected)
        #expect(trainer.plan(from: 3) == Array(expected.dropFirst(3 * config.accumulate)))
    }

    @Test("a run over several views stopped after a checkpoint and resumed equals an uninterrupted run")
    func resumeWithViews() throws {
        let a = try Fixtures.temporaryDirectory("views-full"), b = try Fixtures.temporaryDirectory("views-resumed")
        defer {
            try? FileManager.default.removeItem(at: a)
            try? FileManager.default.removeItem(at: b)
        }
        let data = MultiViewData(videos: 8, views: 3, config: Self.model)
        let config = TrainerTests.config(epochs: 4, saveEvery: 3)
        let full = try Trainer(config: config, data: data, run: RunDirectory(a), student: TrainerTests.student())
        try full.train(resume: false) { _ in }
        struct Killed: Error {}
        let first = try Trainer(config: config, data: data, run: RunDirectory(b), student: TrainerTests.student())
        // Killed mid-epoch 1, after the checkpoint of step 3.
        #expect(throws: Killed.self) { try first.train(resume: false) { if $0.step == 5 { throw Killed() } } }
        let second = try Trainer(config: config, data: data, run: RunDirectory(b), student: TrainerTests.student())
        try second.train(resume: true) { _ in }
        #expect(try RunDirectory(a).readMetrics().count == 8)
        try TrainerTests.expectSameRun(full, in: a, as: second, in: b)
    }

    @Test("a cache's rows are grouped by video; a failed video has no group")
    func cacheGroupsRowsByVideo() throws {
        let dir = try Fixtures.temporaryDirectory("views-cache")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("cache.h5")
        let attributes = CacheAttributes(
            manifestSHA256: String(repeating: "0", count: 64), numFrames: 2,
            samplingRate: 1, tubeletSize: 2, inputSize: 8, patchSize: 4,
            viewsPerVideo: 3, seed: 0, createdBy: "EpochViewTests")
        let writer = try FeatureStoreWriter(
            at: url,
            request: .init(
                attributes: attributes, videos: (0..<4).map { VideoEntry(path: "v\($0).mkv", label: 0) }, teachers: []))
        for video in 0..<4 {
            guard video != 1 else {
                try writer.failVideo(1, reason: "unreadable")
                continue
            }
            for row in writer.rows(ofVideo: video) {
                try writer.writeView(row: row, RowView(frames: [0, 1], crop: (0, 0, 8, 8)))
            }
            try writer.finishVideo(video)
        }
        try writer.close()
        let data = try CacheTrainingData(
            url: url, teacherNames: [], tokens: 0, numFrames: 2, inputSize: 8,
            patchSize: 4, tubeletSize: 2, dataRoot: dir.path)
        #expect(data.rows == [0, 1, 2, 6, 7, 8, 9, 10, 11])
        #expect(data.videoRows == [[0, 1, 2], [3, 4, 5], [6, 7, 8]], "indices into rows, one group per usable video")
    }
}
