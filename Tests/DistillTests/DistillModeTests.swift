import Distill
import Models
import Testing

/// Each mode of `distill` supplies the settings of its objective: the original's position table, mask and ratio,
/// and how clips become samples.
@Suite struct DistillModeTests {
    static let video = ModelConfig(embedDim: 32, depth: 1, numHeads: 2, patchSize: 8, inputSize: 32, numFrames: 4)

    @Test("--target and --image-model pick the mode; each combination has its own mode")
    func modeOfFlags() {
        #expect(DistillMode(pixelTargets: false, imageModel: false) == .features)
        #expect(DistillMode(pixelTargets: true, imageModel: false) == .videoPixels)
        #expect(DistillMode(pixelTargets: true, imageModel: true) == .imagePixels)
    }

    @Test("features: MVD's 3-D table, tube mask 0.9, teachers read, one sample per row")
    func features() {
        let m = DistillMode.features
        #expect(m.defaultPositionEncoding == .sincos3D && m.defaultMaskRatio == 0.9)
        #expect(m.mask(requested: .tube) == .tube && m.mask(requested: .random) == .random)
        #expect(m.imageFrameStride == nil && m.samplesPerRow(clipFrames: 16) == 1)
        #expect(m.usesTeachers && m.readsCacheAttributes && m.pixelTarget(normalizePatches: true) == nil)
        #expect(m.studentModel(Self.video) == Self.video && m.cacheTokens(Self.video) == Self.video.videoTokens)
    }

    @Test("video pixels: VideoMAE's 1-D table, tube mask 0.9, per-channel patch targets, the cache not read")
    func videoPixels() {
        let m = DistillMode.videoPixels
        #expect(m.defaultPositionEncoding == .sinusoid1D && m.defaultMaskRatio == 0.9 && m.mask(requested: .tube) == .tube)
        #expect(m.pixelTarget(normalizePatches: true) == .videoMAE && m.pixelTarget(normalizePatches: false) == .raw)
        #expect(!m.usesTeachers && !m.readsCacheAttributes && m.imageFrameStride == nil && m.samplesPerRow(clipFrames: 16) == 1)
        #expect(m.studentModel(Self.video) == Self.video)
    }

    @Test("image pixels: MAE's 2-D table, random mask 0.75 whatever was asked, frames 0, 2, 4, … as single-frame samples")
    func imagePixels() {
        let m = DistillMode.imagePixels
        #expect(m.defaultPositionEncoding == .sincos2D && m.defaultMaskRatio == 0.75)
        #expect(m.mask(requested: .tube) == .random)
        #expect(m.imageFrameStride == 2 && m.samplesPerRow(clipFrames: 16) == 8 && m.samplesPerRow(clipFrames: 5) == 3)
        #expect(m.pixelTarget(normalizePatches: true) == .mae && m.pixelTarget(normalizePatches: false) == .raw)
        #expect(!m.usesTeachers && m.readsCacheAttributes && m.cacheTokens(Self.video) == 0)
        let single = m.studentModel(Self.video)
        #expect(single.numFrames == 1 && single.tubeletSize == 1 && single.embedDim == Self.video.embedDim)
    }
}
