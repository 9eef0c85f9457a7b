import Testing
import VideoIO

/// Each RandAugment op against values worked out by hand from its definition (PIL's `ImageOps` / `ImageEnhance` /
/// `Image.transform`).
@Suite("RandAugment ops")
struct RandAugmentOpTests {
    /// A one-frame clip whose pixels are grey levels (each value in all three channels).
    static func gray(_ values: [UInt8], width: Int, frames: Int = 1) -> Clip {
        let one = values.flatMap { [$0, $0, $0] }
        return Clip(frameCount: frames, height: values.count / width, width: width, pixels: Array((0..<frames).map { _ in one }.joined()))
    }

    /// Channel 0 of every pixel of the first frame.
    static func levels(_ clip: Clip) -> [UInt8] { stride(from: 0, to: clip.frameByteCount, by: 3).map { clip.pixels[$0] } }

    static func step(_ op: RandAugmentOp, _ argument: Double) -> RandAugmentStep { RandAugmentStep(op: op, argument: argument) }

    @Test("magnitude 7 gives the original's arguments: 21°, 2 bits, threshold 77, +77, factor 1 ± 0.63, shear ±0.21, shift ±0.315")
    func arguments() {
        func near(_ a: Double, _ b: Double) -> Bool { abs(a - b) < 1e-12 }
        #expect(near(RandAugmentOp.rotate.argument(magnitude: 7, negative: true), -21))
        #expect(RandAugmentOp.posterize.argument(magnitude: 7, negative: true) == 2)
        #expect(RandAugmentOp.solarize.argument(magnitude: 7, negative: false) == 77)
        #expect(RandAugmentOp.solarizeAdd.argument(magnitude: 7, negative: false) == 77)
        #expect(near(RandAugmentOp.color.argument(magnitude: 7, negative: false), 1.63))
        #expect(near(RandAugmentOp.sharpness.argument(magnitude: 7, negative: true), 1 - 0.63))
        #expect(near(RandAugmentOp.shearY.argument(magnitude: 7, negative: true), -0.21))
        #expect(near(RandAugmentOp.translateX.argument(magnitude: 7, negative: false), 0.315))
        #expect(RandAugmentOp.posterize.argument(magnitude: 10, negative: false) == 0)
        #expect(RandAugmentOp.solarize.argument(magnitude: 0, negative: false) == 256)
        #expect(RandAugmentOp.allCases.count == 15 && RandAugmentOp.allCases.filter(\.signed).count == 9)
    }

    @Test(
        "invert, posterize (2 bits keep 0xC0; 0 bits black; 8 unchanged), solarize (threshold 128; 256 = unchanged), solarize-add (below 128, saturating)"
    )
    func lookUpOps() {
        let clip = Self.gray([0, 100, 127, 128, 200, 255], width: 6)
        #expect(Self.levels(clip.applying(Self.step(.invert, 0))) == [255, 155, 128, 127, 55, 0])
        #expect(Self.levels(clip.applying(Self.step(.posterize, 2))) == [0, 64, 64, 128, 192, 192])
        #expect(Self.levels(clip.applying(Self.step(.posterize, 0))) == [0, 0, 0, 0, 0, 0])
        #expect(clip.applying(Self.step(.posterize, 8)) == clip)
        #expect(Self.levels(clip.applying(Self.step(.solarize, 128))) == [0, 100, 127, 127, 55, 0])
        #expect(clip.applying(Self.step(.solarize, 256)) == clip)
        #expect(Self.levels(clip.applying(Self.step(.solarizeAdd, 50))) == [50, 150, 177, 128, 200, 255])
        #expect(Self.levels(clip.applying(Self.step(.solarizeAdd, 200))) == [200, 255, 255, 128, 200, 255])
    }

    @Test("auto-contrast stretches each channel's own range (50…150 → 0…255, int of v·2.55 − 127.5); a flat channel stays")
    func autoContrast() {
        let clip = Clip(frameCount: 1, height: 1, width: 3, pixels: [50, 9, 0, 100, 9, 10, 150, 9, 20])
        let out = clip.applying(Self.step(.autoContrast, 0)).pixels
        #expect(out == [0, 9, 0, 127, 9, 127, 255, 9, 255])
    }

    @Test("equalize on 255 pixels each of 10, 20, 30: step (765 − 255) // 255 = 2, so 10 → 1 // 2 = 0, 20 → 256 // 2 = 128, 30 → 511 // 2 = 255")
    func equalize() {
        let values = [UInt8](repeating: 10, count: 255) + [UInt8](repeating: 20, count: 255) + [UInt8](repeating: 30, count: 255)
        let out = Self.levels(Self.gray(values, width: 765).applying(Self.step(.equalize, 0)))
        #expect(out == [UInt8](repeating: 0, count: 255) + [UInt8](repeating: 128, count: 255) + [UInt8](repeating: 255, count: 255))
        // Fewer pixels than 256 per used level give step 0: unchanged.
        let small = Self.gray([10, 20, 30], width: 3)
        #expect(small.applying(Self.step(.equalize, 0)) == small)
    }

    @Test("brightness blends with black, truncating (0.5: 201 → 100; 1.5: 100 → 150, 200 → 255)")
    func brightness() {
        let clip = Self.gray([100, 200, 201], width: 3)
        #expect(Self.levels(clip.applying(Self.step(.brightness, 0.5))) == [50, 100, 100])
        #expect(Self.levels(clip.applying(Self.step(.brightness, 1.5))) == [150, 255, 255])
    }

    @Test("colour blends with PIL's luma (pure red → 76); contrast with the rounded mean grey (0 and 255 → 128)")
    func colourAndContrast() {
        let red = Clip(frameCount: 1, height: 1, width: 1, pixels: [255, 0, 0])
        #expect(red.applying(Self.step(.color, 0)).pixels == [76, 76, 76])
        // Factor 1.5 extrapolates away from grey: 76 + 1.5 · (255 − 76) = 344.5 → 255; 76 − 114 < 0 → 0.
        #expect(red.applying(Self.step(.color, 1.5)).pixels == [255, 0, 0])
        let blackWhite = Self.gray([0, 255], width: 2)
        #expect(Self.levels(blackWhite.applying(Self.step(.contrast, 0))) == [128, 128])
        // 128 + 0.5 · (0 − 128) = 64, 128 + 0.5 · 127 = 191.5 → 191.
        #expect(Self.levels(blackWhite.applying(Self.step(.contrast, 0.5))) == [64, 191])
    }

    @Test("sharpness blends with the 3×3 smooth filter (centre 130 among zeros → 650 / 13 = 50), borders kept")
    func sharpness() {
        let clip = Self.gray([0, 0, 0, 0, 130, 0, 0, 0, 0], width: 3)
        #expect(Self.levels(clip.applying(Self.step(.sharpness, 0))) == [0, 0, 0, 0, 50, 0, 0, 0, 0])
        #expect(Self.levels(clip.applying(Self.step(.sharpness, 2))) == [0, 0, 0, 0, 210, 0, 0, 0, 0])
    }

    @Test("rotate by 90° is an exact counter-clockwise quarter turn of a square frame; by 0° nothing changes")
    func rotate() {
        let clip = Self.gray([1, 2, 3, 4, 5, 6, 7, 8, 9], width: 3)
        // Counter-clockwise: the right column becomes the top row.
        #expect(Self.levels(clip.applying(Self.step(.rotate, 90))) == [3, 6, 9, 2, 5, 8, 1, 4, 7])
        #expect(Self.levels(clip.applying(Self.step(.rotate, -90))) == [7, 4, 1, 8, 5, 2, 9, 6, 3])
        #expect(Self.levels(clip.applying(Self.step(.rotate, 180))) == [9, 8, 7, 6, 5, 4, 3, 2, 1])
        #expect(clip.applying(Self.step(.rotate, 0)) == clip)
    }

    @Test("translate by a quarter of 8 px reads 2 px to the right and fills the vacated columns with 128")
    func translate() {
        let clip = Self.gray([10, 20, 30, 40, 50, 60, 70, 80, 11, 21, 31, 41, 51, 61, 71, 81], width: 8)
        #expect(
            Self.levels(clip.applying(Self.step(.translateX, 0.25)))
                == [30, 40, 50, 60, 70, 80, 128, 128, 31, 41, 51, 61, 71, 81, 128, 128])
        #expect(
            Self.levels(clip.applying(Self.step(.translateX, -0.25)))
                == [128, 128, 10, 20, 30, 40, 50, 60, 128, 128, 11, 21, 31, 41, 51, 61])
        // Half of 2 rows is one row: row 0 reads row 1, row 1 falls outside.
        #expect(
            Self.levels(clip.applying(Self.step(.translateY, 0.5)))
                == [11, 21, 31, 41, 51, 61, 71, 81] + [UInt8](repeating: 128, count: 8))
    }

    @Test("shear x by 2 reads row y at x + 2y + 1 (pixel centres land on source centres), the rest filled")
    func shear() {
        let clip = Self.gray([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], width: 6)
        #expect(Self.levels(clip.applying(Self.step(.shearX, 2))) == [2, 3, 4, 5, 6, 128, 10, 11, 12, 128, 128, 128])
        #expect(clip.applying(Self.step(.shearY, 0)) == clip)
    }

    @Test("every frame of a clip gets the same op (a 1 px shift); auto-contrast uses each frame's own range (100…150, 10…128)")
    func allFrames() {
        let a: [UInt8] = [50, 100, 150], b: [UInt8] = [0, 10, 20]
        let clip = Clip(frameCount: 2, height: 1, width: 3, pixels: (a + b).flatMap { [$0, $0, $0] })
        let shifted = clip.randAugmented([Self.step(.translateX, 1.0 / 3), Self.step(.autoContrast, 0)])
        #expect(stride(from: 0, to: 18, by: 3).map { shifted.pixels[$0] } == [0, 255, 142, 0, 21, 255])
    }

    @Test("random-resized crop: boxes inside the frame within the area and aspect ranges; the fallback narrows to 4/3")
    func randomResizedCrop() {
        var rng = TestVideos.SeededGenerator(seed: 3)
        let crop = RandomResizedCrop()
        var small = false, large = false
        for _ in 0..<2000 {
            let box = crop.sample(width: 160, height: 120, using: &rng)
            #expect(box.x >= 0 && box.y >= 0 && box.x + box.width <= 160 && box.y + box.height <= 120)
            let fraction = Double(box.width * box.height) / (160 * 120), aspect = Double(box.width) / Double(box.height)
            #expect(fraction > 0.07 && fraction <= 1 && aspect > 0.7 && aspect < 1.4)
            small = small || fraction < 0.2
            large = large || fraction > 0.8
        }
        #expect(small && large)
        // A strip 100 × 10 never fits a whole-area box of aspect ≤ 4/3: the centre crop 13 × 10 (round(13.33)).
        #expect(RandomResizedCrop(scale: 1...1).sample(width: 100, height: 10, using: &rng) == CropBox(x: 43, y: 0, width: 13, height: 10))
        #expect(crop.fallback(width: 10, height: 100) == CropBox(x: 0, y: 43, width: 10, height: 13))
    }
}
