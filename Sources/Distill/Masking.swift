import Tensor

/// Mask kinds of docs/method.md §4.
public enum MaskKind: String, Codable, Sendable, CaseIterable {
    /// One random spatial pattern per sample, repeated in every time slice.
    case tube
    /// Uniformly random token positions over the whole clip.
    case random
}

/// Draws per-sample boolean masks over a token grid (true = masked), from an explicit generator.
public struct MaskGenerator: Sendable, Codable, Equatable {
    public let kind: MaskKind
    public let ratio: Double
    public let timeSlices: Int
    public let tokensPerSlice: Int

    public init(kind: MaskKind, ratio: Double, timeSlices: Int, tokensPerSlice: Int) {
        precondition(ratio > 0 && ratio < 1, "mask ratio must be in (0, 1), got \(ratio)")
        self.kind = kind
        self.ratio = ratio
        self.timeSlices = timeSlices
        self.tokensPerSlice = tokensPerSlice
    }

    public var tokens: Int { timeSlices * tokensPerSlice }

    /// Masked tokens per sample: tube = T'·int(ratio·H'W') (1408 of 1568 at 0.9); random = int(ratio·N) (1411).
    public var maskedCount: Int {
        switch kind {
        case .tube: return timeSlices * Int(ratio * Double(tokensPerSlice))
        case .random: return Int(ratio * Double(tokens))
        }
    }

    public var visibleCount: Int { tokens - maskedCount }

    /// Masks for `batch` samples, concatenated: [batch · N], token n = t'·H'W' + s.
    public func make(batch: Int, using rng: inout SplitMix64) -> [Bool] {
        var out: [Bool] = []
        out.reserveCapacity(batch * tokens)
        for _ in 0..<batch {
            switch kind {
            case .tube:
                let perSlice = Int(ratio * Double(tokensPerSlice))
                var pattern = [Bool](repeating: false, count: tokensPerSlice - perSlice) + [Bool](repeating: true, count: perSlice)
                shuffle(&pattern, using: &rng)
                for _ in 0..<timeSlices { out += pattern }
            case .random:
                var all = [Bool](repeating: false, count: tokens - maskedCount) + [Bool](repeating: true, count: maskedCount)
                shuffle(&all, using: &rng)
                out += all
            }
        }
        return out
    }

    /// Fisher–Yates with the caller's generator (uniform index by rejection-free modulo of 64 random bits).
    private func shuffle(_ a: inout [Bool], using rng: inout SplitMix64) {
        guard a.count > 1 else { return }
        for i in stride(from: a.count - 1, to: 0, by: -1) {
            let j = Int(rng.next() % UInt64(i + 1))
            a.swapAt(i, j)
        }
    }
}
