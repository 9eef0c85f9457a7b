/// How the decoded full-size frames become the model's input pixels.
public enum SpatialTransform: Equatable, Sendable, Codable {
    /// Crop `box` (source pixels), then resize the crop to `width` x `height` (pre-training, docs/method.md §6.4).
    case cropThenResize(box: CropBox, width: Int, height: Int)
    /// Resize the whole frame to `width` x `height`, then crop `box` (in resized pixels) (test views, docs/method.md §6.6).
    case resizeThenCrop(width: Int, height: Int, box: CropBox)

    /// Output (width, height).
    public var outputSize: (width: Int, height: Int) {
        switch self {
        case let .cropThenResize(_, width, height): return (width, height)
        case let .resizeThenCrop(_, _, box): return (box.width, box.height)
        }
    }
}

/// One view of a video: which frames, how they are cropped and resized, and whether they are mirrored.
///
/// Frame indices are 0-based in presentation order and already padded (they may repeat). Apply a view to
/// decoded frames with `Clip.applying(_:)`, or decode and apply in one go with `VideoReader.clip(for:)`.
public struct ClipView: Equatable, Sendable, Codable {
    /// Source frame indices, T of them.
    public var frames: [Int]
    /// Crop and resize.
    public var spatial: SpatialTransform
    /// Resampling filter for the resize.
    public var filter: ResizeFilter
    /// Mirror left-right after resizing.
    public var flip: Bool

    public init(frames: [Int], spatial: SpatialTransform, filter: ResizeFilter, flip: Bool = false) {
        self.frames = frames
        self.spatial = spatial
        self.filter = filter
        self.flip = flip
    }
}

extension Clip {
    /// The view's spatial part applied to this clip of already-selected frames (the view's `frames` are not
    /// used here: the clip must hold exactly those frames, at the source resolution).
    public func applying(_ view: ClipView) -> Clip {
        precondition(frameCount == view.frames.count, "clip has \(frameCount) frames, view expects \(view.frames.count)")
        var out: Clip
        switch view.spatial {
        case let .cropThenResize(box, width, height):
            out = cropped(to: box).resized(width: width, height: height, filter: view.filter)
        case let .resizeThenCrop(width, height, box):
            out = resized(width: width, height: height, filter: view.filter).cropped(to: box)
        }
        return view.flip ? out.flippedHorizontally() : out
    }
}

/// Factories for the views the pipelines use.
public enum ClipViews {
    /// A pre-training view (docs/method.md §6.3 + §6.4): the pre-training temporal sampler and a multi-scale crop resized to
    /// `crop.inputSize` squared with PIL's antialiased bilinear filter; no flip.
    public static func pretraining<G: RandomNumberGenerator>(
        frameCount: Int, width: Int, height: Int, numFrames: Int = 16, samplingRate: Int = 4,
        crop: MultiScaleCrop = MultiScaleCrop(), using rng: inout G
    ) -> ClipView {
        let frames = TemporalSampling.pretraining(
            frameCount: frameCount, numFrames: numFrames,
            samplingRate: samplingRate, using: &rng)
        let box = crop.sample(width: width, height: height, using: &rng)
        return ClipView(
            frames: frames, spatial: .cropThenResize(box: box, width: crop.inputSize, height: crop.inputSize),
            filter: .antialiasedBilinear)
    }

    /// The deterministic centre view: `TemporalSampling.centered` frames, the whole frame resized so its
    /// short side is `inputSize` (long side `int(inputSize * long / short)`), then the centred
    /// `inputSize` squared crop (offset `(long - inputSize) / 2`).
    public static func center(
        frameCount: Int, width: Int, height: Int, numFrames: Int = 16, samplingRate: Int = 4,
        inputSize: Int = 224, filter: ResizeFilter = .antialiasedBilinear
    ) -> ClipView {
        let frames = TemporalSampling.centered(frameCount: frameCount, numFrames: numFrames, samplingRate: samplingRate)
        let (w, h) = shortSideResize(width: width, height: height, to: inputSize)
        let box = CropBox(x: (w - inputSize) / 2, y: (h - inputSize) / 2, width: inputSize, height: inputSize)
        return ClipView(frames: frames, spatial: .resizeThenCrop(width: w, height: h, box: box), filter: filter)
    }

    /// Size after resizing the short side to `size`: the long side becomes `int(size * long / short)`.
    public static func shortSideResize(width: Int, height: Int, to size: Int) -> (width: Int, height: Int) {
        if width <= height { return (size, Int(Double(size) * Double(height) / Double(width))) }
        return (Int(Double(size) * Double(width) / Double(height)), size)
    }
}

extension ClipViews {
    /// The view a feature-cache row stands for: its frames, its crop box (source pixels) resized to
    /// `inputSize` squared with the antialiased bilinear filter, no flip. Extraction and training both build
    /// pixels with this one rule, so a row's targets always belong to the pixels the student sees.
    public static func cached(frames: [Int], crop: CropBox, inputSize: Int) -> ClipView {
        ClipView(
            frames: frames, spatial: .cropThenResize(box: crop, width: inputSize, height: inputSize),
            filter: .antialiasedBilinear)
    }

    /// The deterministic centre view stored in caches: the centred frames and the centred square of the short
    /// side (the source region a short-side resize plus centre crop keeps), resized to `inputSize` squared.
    public static func centeredSquare(
        frameCount: Int, width: Int, height: Int, numFrames: Int, samplingRate: Int,
        inputSize: Int
    ) -> ClipView {
        let frames = TemporalSampling.centered(frameCount: frameCount, numFrames: numFrames, samplingRate: samplingRate)
        let side = min(width, height)
        let box = CropBox(x: (width - side) / 2, y: (height - side) / 2, width: side, height: side)
        return cached(frames: frames, crop: box, inputSize: inputSize)
    }
}
