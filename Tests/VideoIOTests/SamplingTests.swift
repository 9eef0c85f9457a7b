import Testing
import VideoIO

@Suite("temporal samplers reproduce docs/method.md §6 worked examples")
struct SamplingTests {
    @Test("pre-training, N = 30: start 0, stride 4 up to 28, then 28 repeated")
    func pretrainingThirty() {
        var rng = TestVideos.SeededGenerator(seed: 3)
        let indices = TemporalSampling.pretraining(frameCount: 30, using: &rng)
        #expect(indices == [0, 4, 8, 12, 16, 20, 24, 28, 28, 28, 28, 28, 28, 28, 28, 28])
    }

    @Test("pre-training, N = 63: start 0, exact stride 4 to 60")
    func pretrainingSixtyThree() {
        var rng = TestVideos.SeededGenerator(seed: 3)
        #expect(TemporalSampling.pretraining(frameCount: 63, using: &rng) == Array(stride(from: 0, through: 60, by: 4)))
    }

    @Test("pre-training, N = 100: start uniform in 0...36, exact stride 4, both ends reached")
    func pretrainingLong() {
        var rng = TestVideos.SeededGenerator(seed: 5)
        var starts = Set<Int>()
        for _ in 0..<2000 {
            let indices = TemporalSampling.pretraining(frameCount: 100, using: &rng)
            #expect(indices == (0..<16).map { indices[0] + 4 * $0 })
            starts.insert(indices[0])
        }
        #expect(starts == Set(0...36))
    }

    @Test("pre-training, N = 64: the only start is 0")
    func pretrainingSixtyFour() {
        var rng = TestVideos.SeededGenerator(seed: 9)
        #expect(TemporalSampling.pretraining(frameCount: 64, using: &rng) == Array(stride(from: 0, through: 60, by: 4)))
    }

    @Test("K400 dense window starting at 0 uses linspace(0, 64, 16) truncated")
    func kineticsWindow() {
        #expect(TemporalSampling.kineticsWindow(start: 0, end: 64) == [0, 4, 8, 12, 17, 21, 25, 29, 34, 38, 42, 46, 51, 55, 59, 63])
    }

    @Test("K400 dense, N = 40: linspace(0, 40, 10) then 39 repeated")
    func kineticsShort() {
        var rng = TestVideos.SeededGenerator(seed: 1)
        let expected = [0, 4, 8, 13, 17, 22, 26, 31, 35, 39, 39, 39, 39, 39, 39, 39]
        #expect(TemporalSampling.kineticsDense(frameCount: 40, using: &rng) == expected)
    }

    @Test("K400 dense, N = 200: a 64-frame window ending in 64...199")
    func kineticsLong() {
        var rng = TestVideos.SeededGenerator(seed: 2)
        for _ in 0..<200 {
            let indices = TemporalSampling.kineticsDense(frameCount: 200, using: &rng)
            let start = indices[0]
            #expect(indices == TemporalSampling.kineticsWindow(start: start, end: start + 64))
            #expect(start >= 0 && start + 64 <= 199)
        }
    }

    @Test("SSv2 segment bounds round half to even: avg 2.5 gives (0,2), (2,5), (5,8), (8,10)")
    func ssv2Rounding() {
        #expect(TemporalSampling.somethingSomethingBounds(average: 2.5, segment: 0) == (0, 2))
        #expect(TemporalSampling.somethingSomethingBounds(average: 2.5, segment: 1) == (2, 5))
        #expect(TemporalSampling.somethingSomethingBounds(average: 2.5, segment: 2) == (5, 8))
        #expect(TemporalSampling.somethingSomethingBounds(average: 2.5, segment: 3) == (8, 10))
    }

    @Test("SSv2 sampler, N = 41: every index lies in its segment's inclusive bounds")
    func ssv2Sampler() {
        var rng = TestVideos.SeededGenerator(seed: 4)
        for _ in 0..<100 {
            let indices = TemporalSampling.somethingSomething(frameCount: 41, using: &rng)
            #expect(indices.count == 16)
            for (i, index) in indices.enumerated() {
                let (a, b) = TemporalSampling.somethingSomethingBounds(average: 2.5, segment: i)
                #expect(index >= a && index <= b)
            }
        }
    }

    @Test("centered clip: 100 frames, stride 4 starts at 19; short videos pad")
    func centered() {
        #expect(TemporalSampling.centered(frameCount: 100) == (0..<16).map { 19 + 4 * $0 })
        #expect(TemporalSampling.centered(frameCount: 30) == [0, 4, 8, 12, 16, 20, 24, 28] + Array(repeating: 28, count: 8))
        #expect(TemporalSampling.centered(frameCount: 16, samplingRate: 1) == Array(0..<16))
    }
}

@Suite("test views reproduce docs/method.md §6.6")
struct TestViewTests {
    @Test("K400 5x3: 300-frame 569x320 video gives clip starts 0,14,29,44,59 and crop starts 0,87,174 on 398x224")
    func kineticsExample() {
        let views = TestViews.kinetics(frameCount: 300, width: 569, height: 320)
        #expect(views.count == 15)
        let starts = stride(from: 0, to: 15, by: 3).map { views[$0].view.frames[0] }
        #expect(starts == [0, 14, 29, 44, 59].map { $0 * 4 })
        #expect(views[3].view.frames == (14..<30).map { $0 * 4 })
        for view in views {
            guard case let .resizeThenCrop(width, height, box) = view.view.spatial else {
                Issue.record("expected resize-then-crop")
                continue
            }
            #expect(width == 398 && height == 224)
            #expect(box == CropBox(x: [0, 87, 174][view.spatialIndex], y: 0, width: 224, height: 224))
            #expect(view.view.filter == .bilinear)
        }
    }

    @Test("K400 views of a 20-frame video pad the entry list to 16 with its last index")
    func kineticsShort() {
        let views = TestViews.kinetics(frameCount: 20, width: 320, height: 240)
        #expect(views[0].view.frames == [0, 4, 8, 12, 16] + Array(repeating: 16, count: 11))
        #expect(views.allSatisfy { $0.view.frames == views[0].view.frames })
    }

    @Test("SSv2 2x3: N = 41 interleaves sub-views (0, 3, …) and (1, 4, …); portrait crops move down")
    func ssv2Views() {
        let views = TestViews.somethingSomething(frameCount: 41, width: 240, height: 427)
        #expect(views.count == 6)
        #expect(Array(views[0].view.frames.prefix(2)) == [0, 3])
        #expect(Array(views[3].view.frames.prefix(2)) == [1, 4])
        guard case let .resizeThenCrop(width, height, box) = views[2].view.spatial else {
            Issue.record("expected resize-then-crop")
            return
        }
        #expect(width == 224 && height == 398)
        #expect(box == CropBox(x: 0, y: 174, width: 224, height: 224))
    }

    @Test("the center view of a 569x320 video resizes to 398x224 and crops the middle")
    func centerView() {
        let view = ClipViews.center(frameCount: 300, width: 569, height: 320)
        #expect(view.spatial == .resizeThenCrop(width: 398, height: 224, box: CropBox(x: 87, y: 0, width: 224, height: 224)))
        #expect(view.frames == TemporalSampling.centered(frameCount: 300))
    }
}
