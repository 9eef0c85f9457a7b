import Foundation
import Models

/// What a `distill` run learns from. Each mode fixes the settings that go with its objective, so that they are
/// decided in one place: the default position table and mask ratio, the mask kind, how clips become samples and
/// whether the cache's teachers are read.
public enum DistillMode: String, CaseIterable, Sendable {
    /// Cached teacher features at the masked tokens (MVD).
    case features
    /// Pixels of the masked tubelets of a video model (stage 1: the VideoMAE objective).
    case videoPixels = "video-pixels"
    /// Pixels of the masked patches of a single-frame image model, trained on frames 0, 2, 4, … (the MAE objective).
    case imagePixels = "image-pixels"

    public init(pixelTargets: Bool, imageModel: Bool) {
        self = !pixelTargets ? .features : (imageModel ? .imagePixels : .videoPixels)
    }

    /// The student's table when none is asked for: MVD's 3-D table, VideoMAE's 1-D one, MAE's 2-D one.
    public var defaultPositionEncoding: PositionEncoding {
        switch self {
        case .features: .sincos3D
        case .videoPixels: .sinusoid1D
        case .imagePixels: .sincos2D
        }
    }

    /// The fraction masked when none is asked for: VideoMAE and MVD mask 90 % of tubes, MAE 75 % of patches.
    public var defaultMaskRatio: Double { self == .imagePixels ? 0.75 : 0.9 }

    /// The mask in force: a single frame has no tubes, so image models always mask patches at random.
    public func mask(requested: MaskKind) -> MaskKind { self == .imagePixels ? .random : requested }

    /// For image models, the stride of the frames taken from each clip as separate samples; nil for video models.
    public var imageFrameStride: Int? { self == .imagePixels ? 2 : nil }

    /// Samples a cache row of `clipFrames` frames yields (for the lr scaling rule).
    public func samplesPerRow(clipFrames: Int) -> Int {
        guard let stride = imageFrameStride else { return 1 }
        return (clipFrames + stride - 1) / stride
    }

    /// Whether the cache's teachers are distilled from (the pixel modes regress pixels only).
    public var usesTeachers: Bool { self == .features }

    /// Whether the flags leave something that only the cache can say: the teachers, or an image model's frames per clip.
    public var readsCacheAttributes: Bool { self != .videoPixels }

    /// The student's geometry for this mode: an image model sees one frame at a time.
    public func studentModel(_ model: ModelConfig) -> ModelConfig {
        guard self == .imagePixels else { return model }
        var single = model
        single.numFrames = 1
        single.tubeletSize = 1
        return single
    }

    /// The pixel normalisation of the pixel modes: `normalizePatches` picks VideoMAE's per-channel or MAE's per-patch
    /// one; nil for feature distillation.
    public func pixelTarget(normalizePatches: Bool) -> PixelTarget? {
        switch self {
        case .features: nil
        case .videoPixels: normalizePatches ? .videoMAE : .raw
        case .imagePixels: normalizePatches ? .mae : .raw
        }
    }

    /// Video tokens the cache rows carry per clip (none for image models, whose rows are read as frames).
    public func cacheTokens(_ model: ModelConfig) -> Int { self == .imagePixels ? 0 : model.videoTokens }
}
