import Tensor

/// The VideoMAE video teacher (docs/method.md §2.5): tubelet embedding + the 1-D interleaved sinusoid table,
/// VideoMAE-style blocks (q/v bias). Output: the raw last-block tokens, without the final LayerNorm.
public struct VideoTeacher: Sendable {
    public let config: ModelConfig
    public var patchEmbed: PatchEmbed
    public let positions: Tensor        // [N, D]
    public var blocks: [ViTBlock]
    /// Loaded, not applied.
    public var finalNorm: LayerNorm

    /// Loads a VideoMAE pre-training checkpoint strictly (docs/method.md §8.3). Keys sit under `encoder.` (or at the
    /// top level for a bare encoder); the VideoMAE decoder (`decoder.*`, `encoder_to_decoder.*`, `mask_token`),
    /// `head.*` and `*pos_embed*` keys are skipped.
    public init(weights r: WeightReader, config: ModelConfig) throws {
        let d = config.embedDim
        r.renameKeys { $0.hasPrefix("backbone.") ? String($0.dropFirst("backbone.".count)) : $0 }
        r.skip { k in
            k.hasPrefix("head.") || k.contains("pos_embed") || k.hasPrefix("decoder.") || k.hasPrefix("encoder_to_decoder.")
                || k == "mask_token"
        }
        let w = r.keys.contains(where: { $0.hasPrefix("encoder.") }) ? r.scoped("encoder.") : r.scoped("")
        self.config = config
        (self.patchEmbed, self.blocks) = try BlockFactory.loadVideoEncoder(w, config: config)
        self.positions = PositionTables.sinusoid1D(positions: patchEmbed.geometry.tokens, embedDim: d)
        self.finalNorm = LayerNorm(weight: try w.tensor("norm.weight", shape: [d]), bias: try w.tensor("norm.bias", shape: [d]))
        try r.finish()
    }

    /// Token features of clips: [B, 3, T, S, S] -> [B, N, D].
    public func features(clips: Tensor) -> Tensor {
        var x = addPerToken(patchEmbed(clips), positions)
        for block in blocks { x = block(x) }
        return x
    }
}
