import Foundation
import Models
import Tensor

/// A loaded, frozen teacher: inference only, nothing kept for a backward pass.
public enum FrozenTeacher: Sendable {
    case image(ImageTeacher, frameStride: Int)
    case video(VideoTeacher)

    /// Loads the checkpoint strictly for `config`; the skipped keys are returned for a one-line report.
    public static func load(
        _ choice: TeacherChoice, checkpoint: URL, config: ModelConfig, frameStride: Int
    ) throws
        -> (FrozenTeacher, skipped: [String])
    {
        let reader = try WeightReader(contentsOf: checkpoint)
        switch choice {
        case .image: return (.image(try ImageTeacher(weights: reader, config: config), frameStride: frameStride), reader.skipped)
        case .video: return (.video(try VideoTeacher(weights: reader, config: config)), reader.skipped)
        case .none: throw ExtractError.invalidConfig("no teacher to load for --teacher none")
        }
    }

    /// Per-token features of clips [B, 3, T, S, S] → [B, L, D], L aligned with the student's tokens.
    public func features(_ clips: Tensor) -> Tensor {
        switch self {
        case .image(let teacher, let stride): return teacher.clipFeatures(clips, frameStride: stride)
        case .video(let teacher): return teacher.features(clips: clips)
        }
    }

    public var config: ModelConfig {
        switch self {
        case .image(let t, _): return t.config
        case .video(let t): return t.config
        }
    }
}
