/// One of the multi-view test views of a video (docs/method.md §6.6), with its position in the view grid.
public struct TestView: Equatable, Sendable {
    /// Temporal clip number (0..<segments).
    public var temporalIndex: Int
    /// Spatial crop number (0..<crops).
    public var spatialIndex: Int
    /// Frames, short-side resize and the crop along the long side; bilinear without antialias, like OpenCV.
    public var view: ClipView
}

/// The final-test view grids: K400 5 x 3 and SSv2 2 x 3.
public enum TestViews {
    /// K400 test views: frames `0, r, 2r, …` over the whole video (padded with the last index up to
    /// `clipLength`); temporal clip c takes `clipLength` consecutive entries from
    /// `int(c * max((entries - clipLength) / (segments - 1), 0))`; each frame is resized so its short side is
    /// `inputSize`, and spatial crop k is the `inputSize` window along the long side starting at
    /// `int(k * (long - inputSize) / (crops - 1))`. Views are ordered temporal-major.
    public static func kinetics(
        frameCount: Int, width: Int, height: Int, clipLength: Int = 16, samplingRate: Int = 4,
        segments: Int = 5, crops: Int = 3, inputSize: Int = 224
    ) -> [TestView] {
        precondition(frameCount > 0, "test views need at least one frame")
        var entries = Array(stride(from: 0, to: frameCount, by: samplingRate))
        while entries.count < clipLength { entries.append(entries[entries.count - 1]) }
        let temporalStep = segments > 1 ? max(Double(entries.count - clipLength) / Double(segments - 1), 0) : 0
        let clips = (0..<segments).map { c -> [Int] in
            let start = Int(Double(c) * temporalStep)
            return Array(entries[start..<(start + clipLength)])
        }
        return grid(clips: clips, width: width, height: height, crops: crops, inputSize: inputSize)
    }

    /// SSv2 test views: `tick = (N - 1) / clipLength`, `iv = tick / 2`; for segment i and sub-view c,
    /// `a = round(tick * i + iv * c)`, `b = round(tick * i + iv * (c + 1))` (half to even), index
    /// `(a + b) / 2`. Temporal view c takes sub-view c of every segment. Same spatial crops as K400.
    public static func somethingSomething(
        frameCount: Int, width: Int, height: Int, clipLength: Int = 16, segments: Int = 2, crops: Int = 3,
        inputSize: Int = 224
    ) -> [TestView] {
        precondition(frameCount > 0, "test views need at least one frame")
        let tick = Double(frameCount - 1) / Double(clipLength), iv = tick / Double(segments)
        let clips = (0..<segments).map { c -> [Int] in
            (0..<clipLength).map { i -> Int in
                let a = Int((tick * Double(i) + iv * Double(c)).rounded(.toNearestOrEven))
                let b = Int((tick * Double(i) + iv * Double(c + 1)).rounded(.toNearestOrEven))
                return min((a + b) / 2, frameCount - 1)
            }
        }
        return grid(clips: clips, width: width, height: height, crops: crops, inputSize: inputSize)
    }

    /// Start of spatial crop k along an axis of length `long` after the short-side resize.
    public static func spatialStart(_ k: Int, long: Int, crops: Int, inputSize: Int) -> Int {
        crops > 1 ? Int(Double(k) * (Double(long - inputSize) / Double(crops - 1))) : 0
    }

    private static func grid(clips: [[Int]], width: Int, height: Int, crops: Int, inputSize: Int) -> [TestView] {
        let (w, h) = ClipViews.shortSideResize(width: width, height: height, to: inputSize)
        var views: [TestView] = []
        for (c, frames) in clips.enumerated() {
            for k in 0..<crops {
                let box: CropBox
                if h >= w {
                    let y = spatialStart(k, long: h, crops: crops, inputSize: inputSize)
                    box = CropBox(x: 0, y: y, width: w, height: min(inputSize, h - y))
                } else {
                    let x = spatialStart(k, long: w, crops: crops, inputSize: inputSize)
                    box = CropBox(x: x, y: 0, width: min(inputSize, w - x), height: h)
                }
                let view = ClipView(frames: frames, spatial: .resizeThenCrop(width: w, height: h, box: box), filter: .bilinear)
                views.append(TestView(temporalIndex: c, spatialIndex: k, view: view))
            }
        }
        return views
    }
}
