import Foundation
import TestSupport
import Testing

@testable import VideoIO

@Suite("synthetic dataset")
struct SyntheticDatasetTests {
    let config = SyntheticDatasetConfig(videosPerClass: 2, valVideosPerClass: 1, size: 32, frames: 12, seed: 42)

    init() { FFmpegLog.setLevel(.quiet) }

    @Test("written videos decode, manifests parse, labels are balanced, classes.json names each kind")
    func writeAndRead() throws {
        let dir = try Fixtures.temporaryDirectory("synth")
        defer { try? FileManager.default.removeItem(at: dir) }
        var reported = 0
        try SyntheticDataset.write(config, to: dir) { _ in reported += 1 }
        #expect(reported == 30)
        let train = try Manifest.load(from: dir.appendingPathComponent("train.csv"), dataRoot: dir.path)
        let val = try Manifest.load(from: dir.appendingPathComponent("val.csv"), dataRoot: dir.path)
        #expect(train.count == 20 && val.count == 10)
        for label in 0..<10 {
            #expect(train.filter { $0.label == label }.count == 2)
            #expect(val.filter { $0.label == label }.count == 1)
        }
        for entry in [train[0], train[13], val[9]] {
            let reader = try VideoReader(path: entry.resolvedPath)
            #expect(reader.info.frameCount == 12 && reader.info.width == 32 && reader.info.height == 32)
            _ = try reader.frames(at: [0, 11])
        }
        let classes = try SyntheticDataset.loadClasses(from: dir)
        #expect(classes.filter { $0.kind == .appearance }.count == 4)
        #expect(classes.filter { $0.kind == .motion }.count == 6)
        #expect(classes.map(\.label) == Array(0..<10))
    }

    @Test("writing twice with the same seed gives identical manifests and video files")
    func reproducibleFiles() throws {
        let first = try Fixtures.temporaryDirectory("synth-a"), second = try Fixtures.temporaryDirectory("synth-b")
        defer {
            try? FileManager.default.removeItem(at: first)
            try? FileManager.default.removeItem(at: second)
        }
        var small = config
        small.videosPerClass = 1
        small.valVideosPerClass = 0
        try SyntheticDataset.write(small, to: first)
        try SyntheticDataset.write(small, to: second)
        for name in ["train.csv", "classes.json", "videos/train/rotate_clockwise_000.mp4", "videos/train/disk_000.mp4"] {
            let a = try Data(contentsOf: first.appendingPathComponent(name))
            #expect(a == (try Data(contentsOf: second.appendingPathComponent(name))), "\(name) differs")
        }
    }

    @Test("the same seed renders the same frames; another seed does not")
    func deterministic() {
        for label in [0, 6] {
            let a = SyntheticDataset.scene(label: label, split: "train", index: 3, config: config).render(size: 32, frames: 12)
            let b = SyntheticDataset.scene(label: label, split: "train", index: 3, config: config).render(size: 32, frames: 12)
            var other = config
            other.seed = 43
            let c = SyntheticDataset.scene(label: label, split: "train", index: 3, config: other).render(size: 32, frames: 12)
            #expect(a == b)
            #expect(a != c)
        }
    }

    @Test("low nuisance: grey background, no clutter, noise up to ±3; full nuisance is unchanged by the option")
    func lowNuisance() {
        var low = config
        low.nuisance = .low
        for index in 0..<20 {
            let scene = SyntheticDataset.scene(label: index % 10, split: "train", index: index, config: low)
            #expect(scene.clutter.isEmpty && scene.noise <= 3)
            #expect(scene.background.allSatisfy { (32...88).contains($0) })
            #expect(scene == SyntheticDataset.scene(label: index % 10, split: "train", index: index, config: low))
        }
        var explicitFull = config
        explicitFull.nuisance = .full
        #expect(
            SyntheticDataset.scene(label: 3, split: "val", index: 0, config: config)
                == SyntheticDataset.scene(label: 3, split: "val", index: 0, config: explicitFull))
    }

    @Test("copies of the object share its colour and motion: 3 apart cover 3 times the area, a 2×2 grid 4 times")
    func objectCopies() {
        func area(_ scene: SyntheticScene, frame: Int) -> Int {
            let pixels = scene.render(size: 64, frames: 12).frame(frame)
            return stride(from: pixels.startIndex, to: pixels.endIndex, by: 3).filter {
                pixels[$0] == scene.color[0] && pixels[$0 + 1] == scene.color[1] && pixels[$0 + 2] == scene.color[2]
            }.count
        }
        var rng = SplitMix64(seed: 8)
        var one = SyntheticScene.random(for: SyntheticClasses.all[0], size: 64, nuisance: .low, objects: 1, using: &rng)
        one.noise = 0
        #expect(one.copyCenters.isEmpty)
        var three = one
        three.copyCenters = [[one.centerX + 32, one.centerY], [one.centerX, one.centerY + 32]]  // half a frame apart: no overlap
        let single = area(one, frame: 5), triple = area(three, frame: 5)
        #expect(single > 100 && triple == 3 * single, "\(single) → \(triple)")
        var lattice = SplitMix64(seed: 8)
        var grid = SyntheticScene.random(for: SyntheticClasses.all[0], size: 64, nuisance: .low, objects: 4, layout: .grid, using: &lattice)
        grid.noise = 0
        #expect(
            grid.copyCenters == [
                [grid.centerX + 32, grid.centerY], [grid.centerX, grid.centerY + 32],
                [grid.centerX + 32, grid.centerY + 32]
            ])
        #expect(area(grid, frame: 5) == 4 * area(grid.withoutCopies, frame: 5))
        var drawn = SplitMix64(seed: 8)
        #expect(SyntheticScene.random(for: SyntheticClasses.all[4], size: 64, objects: 4, using: &drawn).copyCenters.count == 3)
    }

    @Test("motion classes move as named: right/left shift the object, grow/shrink change its area")
    func motionSemantics() {
        func objectColumnsAndArea(_ scene: SyntheticScene, frame: Int) -> (x: Double, area: Int) {
            var quiet = scene
            quiet.noise = 0
            quiet.clutter = []
            quiet.centerX = 32  // away from the wrap-around edge for the first frames
            let clip = quiet.render(size: 64, frames: 12)
            var sumX = 0, area = 0
            let pixels = clip.frame(frame)
            for y in 0..<64 {
                for x in 0..<64 {
                    let i = pixels.startIndex + (y * 64 + x) * 3
                    if pixels[i] == quiet.color[0] && pixels[i + 1] == quiet.color[1] && pixels[i + 2] == quiet.color[2] {
                        sumX += x
                        area += 1
                    }
                }
            }
            return (Double(sumX) / Double(max(area, 1)), area)
        }
        var rng = SplitMix64(seed: 5)
        let right = SyntheticScene.random(for: SyntheticClasses.all[4], size: 64, using: &rng)
        let left = SyntheticScene.random(for: SyntheticClasses.all[5], size: 64, using: &rng)
        let grow = SyntheticScene.random(for: SyntheticClasses.all[8], size: 64, using: &rng)
        let shrink = SyntheticScene.random(for: SyntheticClasses.all[9], size: 64, using: &rng)
        #expect(objectColumnsAndArea(right, frame: 3).x > objectColumnsAndArea(right, frame: 0).x)
        #expect(objectColumnsAndArea(left, frame: 3).x < objectColumnsAndArea(left, frame: 0).x)
        #expect(objectColumnsAndArea(grow, frame: 11).area > objectColumnsAndArea(grow, frame: 0).area)
        #expect(objectColumnsAndArea(shrink, frame: 11).area < objectColumnsAndArea(shrink, frame: 0).area)
    }

    @Test("nuisance attributes vary within a class: backgrounds differ across videos")
    func nuisanceVaries() {
        let backgrounds = Set((0..<8).map { SyntheticDataset.scene(label: 1, split: "train", index: $0, config: config).background })
        #expect(backgrounds.count == 8)
    }
}

extension SyntheticScene {
    var withoutCopies: SyntheticScene {
        var s = self
        s.copyCenters = []
        return s
    }
}
