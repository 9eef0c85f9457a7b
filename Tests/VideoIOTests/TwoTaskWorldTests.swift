import Foundation
import TestSupport
import Testing

@testable import VideoIO

/// The two-task world: labels crossed evenly, scenes a pure function of the seed, and each video showing what its
/// labels say (the object moves the labelled way and is brighter than the background).
@Suite("two-task synthetic world")
struct TwoTaskWorldTests {
    @Test("labelled splits cross every shape with every motion evenly; scenes are a pure function of the seed")
    func balancedAndDeterministic() {
        let config = TwoTaskWorldConfig(unlabeled: 0, trainPerPair: 2, valPerPair: 1, seed: 3)
        var pairs: [String: Int] = [:]
        for i in 0..<32 {
            let s = TwoTaskWorld.scene(split: "train", index: i, config: config)
            pairs["\(s.shape)-\(s.motion)", default: 0] += 1
        }
        #expect(pairs.count == 16 && pairs.values.allSatisfy { $0 == 2 }, "\(pairs)")
        #expect(TwoTaskWorld.scene(split: "val", index: 5, config: config) == TwoTaskWorld.scene(split: "val", index: 5, config: config))
        var other = config
        other.seed = 4
        #expect(TwoTaskWorld.scene(split: "val", index: 5, config: config) != TwoTaskWorld.scene(split: "val", index: 5, config: other))
    }

    @Test("the object moves the labelled way and is brighter than the background", arguments: TwoTaskMotion.allCases)
    func motionAndContrast(_ motion: TwoTaskMotion) {
        var rng = SplitMix64(seed: 17)
        var scene = TwoTaskScene.random(shape: .square, motion: motion, frames: 8, using: &rng)
        scene.noise = 0
        let size = 32, clip = scene.render(size: size, frames: 8)
        func centroid(_ t: Int) -> (x: Double, y: Double) {
            var sx = 0.0, sy = 0.0, n = 0.0
            for y in 0..<size {
                for x in 0..<size {
                    let i = ((t * size + y) * size + x) * 3
                    if (0..<3).allSatisfy({ Int(clip.pixels[i + $0]) == scene.color[$0] }) {
                        sx += Double(x)
                        sy += Double(y)
                        n += 1
                    }
                }
            }
            return (sx / n, sy / n)
        }
        // At least 1.5% of 32 px per frame: 3.4 px over 7 frames, less a pixel of rasterisation.
        let (a, b) = (centroid(0), centroid(7))
        let (dx, dy) = motion.direction
        #expect((b.x - a.x) * dx + (b.y - a.y) * dy > 2.4, "centroid moved from \(a) to \(b) for \(motion)")
        #expect(scene.color.reduce(0, +) - scene.background.reduce(0, +) >= 270)
    }

    @Test("the object stays wholly inside the frame for the whole video, whatever its shape", arguments: TwoTaskShape.allCases)
    func objectStaysInside(_ shape: TwoTaskShape) {
        var rng = SplitMix64(seed: 5)
        let size = 32, frames = 16
        for motion in TwoTaskMotion.allCases {
            for _ in 0..<8 {
                var scene = TwoTaskScene.random(shape: shape, motion: motion, frames: frames, using: &rng)
                scene.noise = 0
                let clip = scene.render(size: size, frames: frames)
                var counts: [Int] = []
                for t in 0..<frames {
                    var count = 0
                    for y in 0..<size {
                        for x in 0..<size {
                            let i = ((t * size + y) * size + x) * 3
                            guard (0..<3).allSatisfy({ Int(clip.pixels[i + $0]) == scene.color[$0] }) else { continue }
                            count += 1
                            #expect(
                                x > 0 && y > 0 && x < size - 1 && y < size - 1,
                                "\(shape) moving \(motion) touches the border at (\(x), \(y)) in frame \(t)")
                        }
                    }
                    counts.append(count)
                }
                // A clipped object would lose pixels; a whole one keeps its area up to rasterisation.
                #expect(counts.min()! > 0 && Double(counts.max()!) <= 1.25 * Double(counts.min()!), "\(shape) \(motion): \(counts)")
            }
        }
    }

    @Test("the written world has the experiment layout: the same labelled videos under both tasks")
    func layout() throws {
        let dir = try Fixtures.temporaryDirectory("two-task-world")
        let config = TwoTaskWorldConfig(unlabeled: 5, trainPerPair: 1, valPerPair: 1, size: 16, frames: 4, seed: 1)
        try TwoTaskWorld.write(config, to: dir)
        let unlabeled = try Manifest.load(from: dir.appendingPathComponent("unlabeled.csv"), dataRoot: dir.path)
        #expect(unlabeled.count == 5)
        for split in ["train", "val"] {
            let a = try Manifest.load(from: dir.appendingPathComponent("appearance/\(split).csv"), dataRoot: dir.path)
            let m = try Manifest.load(from: dir.appendingPathComponent("motion/\(split).csv"), dataRoot: dir.path)
            #expect(a.count == 16 && a.map(\.path) == m.map(\.path))
            #expect(Set(a.map(\.label)) == Set(0..<4) && Set(m.map(\.label)) == Set(0..<4))
            for e in a { #expect(FileManager.default.fileExists(atPath: e.resolvedPath)) }
        }
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("world.json").path))
    }
}
