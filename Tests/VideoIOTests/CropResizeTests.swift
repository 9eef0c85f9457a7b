import Testing
import VideoIO

@Suite("multi-scale crop, resize, flip")
struct CropResizeTests {
    @Test("crop candidates: base 320 gives [320, 280, 240, 211]; 256 snaps 224; 226 snaps to 224")
    func candidates() {
        let crop = MultiScaleCrop()
        #expect(crop.candidateSizes(width: 569, height: 320) == [320, 280, 240, 211])
        #expect(crop.candidateSizes(width: 256, height: 340) == [256, 224, 192, 168])
        #expect(crop.candidateSizes(width: 226, height: 300)[0] == 224)
        #expect(crop.sizePairs(width: 569, height: 320).count == 10)
    }

    @Test("the 13 fixed offsets are multiples of a quarter of the slack, in the original order")
    func offsets() {
        let offsets = MultiScaleCrop.fixedOffsets(width: 426, height: 320, cropWidth: 320, cropHeight: 280)
        #expect(offsets.count == 13)
        #expect(offsets[1] == (104, 0) && offsets[2] == (0, 40) && offsets[4] == (52, 20) && offsets[12] == (78, 30))
    }

    @Test("sampled crop boxes stay inside the frame and cover all 10 size pairs")
    func sampledBoxes() {
        var rng = TestVideos.SeededGenerator(seed: 8)
        let crop = MultiScaleCrop()
        var sizes = Set<[Int]>()
        for _ in 0..<3000 {
            let box = crop.sample(width: 569, height: 320, using: &rng)
            #expect(box.x >= 0 && box.y >= 0 && box.x + box.width <= 569 && box.y + box.height <= 320)
            sizes.insert([box.width, box.height])
        }
        #expect(sizes.count == 10)
    }

    @Test("antialiased 4 -> 2 downscale uses the widened triangle (71, 209); plain bilinear averages pairs (50, 228)")
    func downscaleByTwo() {
        let row: [UInt8] = [0, 100, 200, 255].flatMap { [$0, $0, $0] }
        let clip = Clip(frameCount: 1, height: 1, width: 4, pixels: row)
        #expect(clip.resized(width: 2, height: 1, filter: .antialiasedBilinear).pixels == [71, 71, 71, 209, 209, 209])
        #expect(clip.resized(width: 2, height: 1, filter: .bilinear).pixels == [50, 50, 50, 228, 228, 228])
    }

    @Test("resizing to the same size is the identity; a constant clip stays constant at any size")
    func identityAndConstant() {
        let clip = TestVideos.gradientClip(frames: 2, height: 9, width: 13)
        #expect(clip.resized(width: 13, height: 9) == clip)
        let flat = Clip(frameCount: 2, height: 10, width: 14, pixels: [UInt8](repeating: 77, count: 2 * 10 * 14 * 3))
        for filter in ResizeFilter.allCases {
            #expect(flat.resized(width: 5, height: 23, filter: filter).pixels.allSatisfy { $0 == 77 })
        }
    }

    @Test("crop then resize applies to every frame; flip mirrors columns")
    func cropResizeFlip() {
        let clip = TestVideos.gradientClip(frames: 3, height: 20, width: 30)
        let box = CropBox(x: 5, y: 4, width: 10, height: 8)
        let cropped = clip.cropped(to: box)
        #expect(cropped.width == 10 && cropped.height == 8 && cropped.frameCount == 3)
        let source = ((2 * 20 + 4 + 7) * 30 + 5 + 9) * 3
        let target = ((2 * 8 + 7) * 10 + 9) * 3
        #expect(Array(cropped.pixels[target..<(target + 3)]) == Array(clip.pixels[source..<(source + 3)]))
        let flipped = cropped.flippedHorizontally()
        #expect(Array(flipped.pixels[((2 * 8 + 7) * 10 + 0) * 3..<((2 * 8 + 7) * 10 + 0) * 3 + 3]) == Array(cropped.pixels[target..<(target + 3)]))
        #expect(flipped.flippedHorizontally() == cropped)
        let view = ClipView(frames: [0, 1, 2], spatial: .cropThenResize(box: box, width: 6, height: 6), filter: .antialiasedBilinear)
        let out = clip.applying(view)
        #expect(out.width == 6 && out.height == 6 && out.frameCount == 3)
    }

    @Test("normalisation uses ImageNet statistics in (3, T, H, W) order")
    func normalisation() {
        let clip = Clip(frameCount: 2, height: 1, width: 1, pixels: [255, 0, 128, 0, 255, 64])
        let values = clip.normalizedChannelsFirst()
        let expected: [Float] = [
            (1 - 0.485) / 0.229, (0 - 0.485) / 0.229,
            (0 - 0.456) / 0.224, (1 - 0.456) / 0.224,
            (Float(128) / 255 - 0.406) / 0.225, (Float(64) / 255 - 0.406) / 0.225
        ]
        #expect(values == expected)
    }

    @Test("a pre-training view of a 300-frame 569x320 video: stride-4 frames, a box from the candidates, 224 output")
    func pretrainingView() {
        var rng = TestVideos.SeededGenerator(seed: 12)
        let view = ClipViews.pretraining(frameCount: 300, width: 569, height: 320, using: &rng)
        #expect(view.frames == (0..<16).map { view.frames[0] + 4 * $0 })
        #expect(view.filter == .antialiasedBilinear && !view.flip)
        guard case let .cropThenResize(box, width, height) = view.spatial else {
            Issue.record("expected crop-then-resize")
            return
        }
        #expect(width == 224 && height == 224)
        #expect([320, 280, 240, 211].contains(box.width) && [320, 280, 240, 211].contains(box.height))
        #expect(box.x + box.width <= 569 && box.y + box.height <= 320)
        let clip = Clip(frameCount: 16, height: 320, width: 569).applying(view)
        #expect(clip.width == 224 && clip.height == 224 && clip.frameCount == 16)
    }
}
