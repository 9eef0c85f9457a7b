import Foundation
import Models
import Tensor
import TestSupport
import Testing
import VideoIO

@testable import Evaluate

/// The fine-tuning augmentation: RandAugment's draws, random erasing, repeated views, determinism from the seed.
@Suite("fine-tuning augmentation")
struct FineTuneAugmentTests {
    /// A clip of `frames` identical frames with a gradient, so that every op changes something.
    static func sameFrames(_ frames: Int, width: Int = 40, height: Int = 36) -> Clip {
        var one: [UInt8] = []
        for y in 0..<height { for x in 0..<width { one += [UInt8(x * 6), UInt8(y * 7), UInt8((x + y) * 3)] } }
        return Clip(frameCount: frames, height: height, width: width, pixels: Array((0..<frames).map { _ in one }.joined()))
    }

    @Test("--rand-augment specs: m7-n4 and the original's rand-m7-n4-mstd0.5-inc1 are the default; bad fields are refused")
    func specs() {
        #expect(RandAugment(spec: "m7-n4") == RandAugment())
        #expect(RandAugment(spec: "rand-m7-n4-mstd0.5-inc1") == RandAugment())
        #expect(RandAugment(spec: "m9-n2-mstd0")?.count == 2 && RandAugment(spec: "m9-n2-mstd0")?.magnitudeStd == 0)
        #expect(RandAugment().spec == "m7-n4" && RandAugment(spec: "m9-n2-mstd1")?.spec == "m9-n2-mstd1")
        for bad in ["m7", "n4", "m11-n4", "m7-n0", "m7-n4-inc0", "m7-n4-x", "", "m-1-n4"] { #expect(RandAugment(spec: bad) == nil, "\(bad)") }
    }

    @Test("RandAugment draws: n ops with replacement over all 15, about half applied, magnitudes around 7 within 0…10")
    func draws() {
        var rng = SplitMix64(seed: 5)
        let policy = RandAugment()
        var applied = 0, seen = Set<RandAugmentOp>()
        var rotations: [Double] = []
        for _ in 0..<2000 {
            let steps = policy.sample(using: &rng)
            #expect(steps.count <= 4)
            applied += steps.count
            for s in steps {
                seen.insert(s.op)
                if s.op == .rotate { rotations.append(s.argument) }
            }
        }
        #expect(seen.count == 15)
        #expect(abs(Double(applied) / 8000 - 0.5) < 0.03)
        // |degrees| = 3 · magnitude: mean about 21, all within 30; both signs.
        let mean = rotations.map(abs).reduce(0, +) / Double(rotations.count)
        #expect(abs(mean - 21) < 0.5 && rotations.allSatisfy { abs($0) <= 30 })
        #expect(rotations.contains { $0 < 0 } && rotations.contains { $0 > 0 })
        var all = RandAugment()
        all.probability = 1
        all.magnitudeStd = 0
        #expect(all.sample(using: &rng).count == 4)
    }

    @Test("random erasing: the same box in every frame, fresh N(0, 1) noise per frame, the rest untouched; probability 0 never")
    func erasing() {
        var rng = SplitMix64(seed: 9)
        let (t, h, w) = (3, 20, 24)
        var erased = 0
        for _ in 0..<50 {
            var batch = Tensor(shape: [2, 3, t, h, w])
            guard let box = RandomErasing(probability: 1).apply(to: &batch, clip: 1, using: &rng) else { continue }
            erased += 1
            #expect(box.width < w && box.height < h && box.x + box.width <= w && box.y + box.height <= h)
            let fraction = Double(box.width * box.height) / Double(w * h)
            #expect(fraction <= 0.4)
            let per = 3 * t * h * w
            #expect(batch.storage[0..<per].allSatisfy { $0 == 0 })
            var frames: [[Float]] = []
            for f in 0..<t {
                var inside: [Float] = []
                for c in 0..<3 {
                    for y in 0..<h {
                        for x in 0..<w {
                            let v = batch.storage[per + ((c * t + f) * h + y) * w + x]
                            let inBox = x >= box.x && x < box.x + box.width && y >= box.y && y < box.y + box.height
                            if inBox { inside.append(v) } else { #expect(v == 0) }
                        }
                    }
                }
                frames.append(inside)
            }
            if box.width * box.height > 4 { #expect(frames[0] != frames[1] && frames[1] != frames[2]) }
        }
        #expect(erased >= 45)
        var batch = Tensor(shape: [1, 3, t, h, w])
        for _ in 0..<20 { #expect(RandomErasing(probability: 0).apply(to: &batch, clip: 0, using: &rng) == nil) }
    }

    @Test("training views: every frame of a clip gets the same ops, the same seed gives the same views, two views differ")
    func views() {
        let tuner = FineTuneTests.tuner { $0.randAugment?.probability = 1 }
        let decoded = Self.sameFrames(4)
        let frames = [0, 1, 2, 3]
        var a = SplitMix64(seed: 21), b = SplitMix64(seed: 21), c = SplitMix64(seed: 22)
        let views = tuner.augmentedViews(of: decoded, frames: frames, using: &a)
        #expect(views.count == 2)
        #expect(views == tuner.augmentedViews(of: decoded, frames: frames, using: &b))
        #expect(views != tuner.augmentedViews(of: decoded, frames: frames, using: &c))
        #expect(views[0] != views[1])
        for v in views {
            #expect(v.width == 32 && v.height == 32)
            for t in 1..<4 { #expect(v.frame(t) == v.frame(0)) }
        }
        // Over many seeds the identical frames always stay identical, whatever the ops.
        for seed in 0..<40 {
            var rng = SplitMix64(seed: UInt64(seed))
            for v in tuner.augmentedViews(of: decoded, frames: frames, using: &rng) { #expect(v.frame(3) == v.frame(0)) }
        }
    }

    @Test("without RandAugment and with one view a training view is the crop alone; the multi-scale crop is selectable")
    func switches() {
        let plain = FineTuneTests.tuner {
            $0.randAugment = nil
            $0.repeatedAugment = 1
            $0.flip = false
        }
        let decoded = Self.sameFrames(2)
        var rng = SplitMix64(seed: 3), same = SplitMix64(seed: 3)
        let views = plain.augmentedViews(of: decoded, frames: [0, 1], using: &rng)
        let view = plain.spatialView(frames: [0, 1], width: 40, height: 36, using: &same)
        #expect(views == [decoded.applying(view)])
        let multi = FineTuneTests.tuner { $0.crop = .multiScale }
        var m = SplitMix64(seed: 1)
        let box = multi.spatialView(frames: [0], width: 64, height: 48, using: &m).spatial
        if case let .cropThenResize(crop, _, _) = box {
            #expect(MultiScaleCrop(inputSize: 32).sizePairs(width: 64, height: 48).contains { $0.width == crop.width && $0.height == crop.height })
        } else {
            Issue.record("expected a crop then resize, got \(box)")
        }
    }

    @Test("a micro-batch holds each video's views adjacent with its label repeated; bad settings are refused by flag name")
    func settings() throws {
        let dir = try Fixtures.temporaryDirectory("finetune-augment")
        defer { try? FileManager.default.removeItem(at: dir) }
        let entries = try FineTuneTests.dataset(in: dir, perClass: 1)
        let tuner = FineTuneTests.tuner { $0.randomErasing = 1 }
        var rng = SplitMix64(seed: 2)
        let (clips, targets) = try tuner.trainingBatch([entries[2], entries[0]], classes: 3, using: &rng)
        #expect(clips.shape == [4, 3, 4, 32, 32] && targets.shape == [4, 3])
        let on = Float(1 - 0.1 + 0.1 / 3)
        #expect([0, 1, 2, 3].map { abs(targets.storage[$0 * 3 + ($0 < 2 ? 2 : 0)] - on) < 1e-6 } == [true, true, true, true])
        var c = FineTuneConfig()
        #expect(c.randAugment == RandAugment() && c.randomErasing == 0.25 && c.repeatedAugment == 2 && c.crop == .randomResized)
        c.repeatedAugment = 0
        #expect { try c.validate() } throws: { "\($0)".contains("--repeated-augment") }
        c.repeatedAugment = 2
        c.randomErasing = 1.5
        #expect { try c.validate() } throws: { "\($0)".contains("--random-erasing") }
    }
}
