import Tensor

extension Classifier {
    /// The last block's tokens of clips [B, 3, T, S, S]: [B, N, D], in (time, row, column) order.
    public func tokenFeatures(_ clips: Tensor) -> Tensor {
        stack(addPerToken(patchEmbed(clips), positions))
    }

    /// Tokens per time step (the spatial grid of one tubelet slice): N = (T / tubelet) × this.
    public var tokensPerTimeStep: Int { (config.inputSize / config.patchSize) * (config.inputSize / config.patchSize) }
}

extension Classifier {
    /// The encoder in a VideoMAE pre-training checkpoint's layout (`encoder.patch_embed.*`, `encoder.blocks.*`,
    /// `encoder.norm.*`), so that `extract-features --teacher video` runs it as a teacher: a supervised teacher for
    /// checking that distillation transfers what a teacher knows. `fc_norm` is written as the final `norm`
    /// (a video teacher loads it but does not apply it; its output is the last block's tokens). The head is dropped.
    /// Only for encoders with VideoMAE's 1-D position table, which the video teacher always uses.
    public mutating func videoTeacherTensors(positionEncoding: PositionEncoding) throws -> [(String, Tensor)] {
        guard positionEncoding == .sinusoid1D else {
            throw ModelConfigError.invalid(
                "a video teacher uses VideoMAE's 1-D position table, but this encoder was trained with \(positionEncoding.rawValue); fine-tune it with --position-table sinusoid-1d to save it as a teacher"
            )
        }
        var out: [(String, Tensor)] = []
        for (name, value) in checkpointTensors() where !name.hasPrefix("head.") {
            let key = name.hasPrefix("fc_norm.") ? "norm." + name.dropFirst("fc_norm.".count) : name
            out.append(("encoder." + key, value))
        }
        return out
    }
}
