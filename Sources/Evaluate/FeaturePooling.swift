import Tensor

/// How a clip's tokens [N, D] become one feature vector for the frozen-feature protocols.
public enum FeaturePooling: String, Codable, Sendable, CaseIterable {
    /// The mean over all tokens: [D]. What fine-tuning's head sees; it erases the order of time, so classes that
    /// are time-reversals of each other (moving left vs right) look alike.
    case mean
    /// The mean over each time step's spatial tokens, concatenated in temporal order: [T' × D]. Keeps the order
    /// of time for the probe (the linear probe standardises every column first, as a BatchNorm before it would).
    case time

    /// Pools tokens [B, N, D] whose time steps hold `perStep` consecutive tokens each.
    public func apply(_ tokens: Tensor, perStep: Int) -> Tensor {
        precondition(
            tokens.rank == 3 && perStep > 0 && tokens.shape[1] % perStep == 0,
            "pooling expects [B, N, D] with N a multiple of \(perStep), got \(tokens.shape)")
        switch self {
        case .mean:
            return meanPoolForward(tokens)
        case .time:
            let (b, n, d) = (tokens.shape[0], tokens.shape[1], tokens.shape[2])
            let steps = n / perStep
            // [B, T', perStep, D] -> mean over perStep -> [B, T' · D]
            return meanPoolForward(tokens.reshaped([b * steps, perStep, d])).reshaped([b, steps * d])
        }
    }

    /// The pooled width for `tokens` tokens of width `d`.
    public func width(tokens: Int, perStep: Int, d: Int) -> Int { self == .mean ? d : tokens / perStep * d }
}
