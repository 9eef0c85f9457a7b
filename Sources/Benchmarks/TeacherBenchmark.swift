import Models
import Tensor

/// Teacher forward throughput for `mvd bench --teachers`.
public enum TeacherBenchmark {
    /// Seconds per clip of the image teacher on `frames` frames (one clip = frames 0, 2, … of 16).
    public static func imageTeacherSecondsPerClip(_ config: ModelConfig, frames: Int = 8) -> TensorBenchmark.Timing {
        var rng = SplitMix64(seed: 1)
        let teacher = ImageTeacher(random: config, using: &rng)
        let input = Tensor.uniform([frames, 3, config.inputSize, config.inputSize], bound: 1, using: &rng)
        // As an extraction does: the weights packed once (in the warm-up run) for every clip.
        return WeightPacks.scope { TensorBenchmark.time(minSeconds: 3, maxRuns: 5) { _ = teacher.features(frames: input) } }
    }

    /// Seconds per clip of the video teacher on one [1, 3, T, S, S] clip.
    public static func videoTeacherSecondsPerClip(_ config: ModelConfig) -> TensorBenchmark.Timing {
        var rng = SplitMix64(seed: 2)
        let teacher = VideoTeacher(random: config, using: &rng)
        let input = Tensor.uniform([1, 3, config.numFrames, config.inputSize, config.inputSize], bound: 1, using: &rng)
        return WeightPacks.scope { TensorBenchmark.time(minSeconds: 3, maxRuns: 5) { _ = teacher.features(clips: input) } }
    }
}
