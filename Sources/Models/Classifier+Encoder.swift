import Tensor

extension Classifier {
    /// A fresh head (fc_norm (1, 0); head trunc-normal 0.02 × `initScale`, bias 0), as fine-tuning starts.
    static func freshHead(width d: Int, classes: Int, initScale: Float, using rng: inout SplitMix64) -> (LayerNorm, Linear) {
        var w = LinearInit.truncatedNormal(std: 0.02).make([classes, d], using: &rng)
        w.scale(by: initScale)
        return (LayerNorm(dimension: d), Linear(weight: w, bias: Tensor.zeros([classes])))
    }

    /// A fresh classifier: an encoder whose Linear weights are trunc-normal 0.02 (as fine-tuning initialises them)
    /// and a fresh head.
    public init(
        fresh config: ModelConfig, classes: Int, dropPath: Float = 0, positionEncoding: PositionEncoding = .sincos3D,
        initScale: Float = 0.001, using rng: inout SplitMix64
    ) {
        let (patch, blocks) = BlockFactory.freshVideoEncoder(config, dropPath: dropPath, initWeight: .truncatedNormal(std: 0.02), using: &rng)
        let (fcNorm, head) = Classifier.freshHead(width: config.embedDim, classes: classes, initScale: initScale, using: &rng)
        self.init(config: config, patchEmbed: patch, blocks: blocks, fcNorm: fcNorm, head: head, positionEncoding: positionEncoding)
    }

    /// The student's encoder (tubelet embedding and blocks; its final norm and decoders are dropped, as
    /// fine-tuning does) with a fresh `fc_norm` and head, and the student's position table.
    public init(encoderOf student: Student, classes: Int, dropPath: Float = 0, initScale: Float = 0.001, using rng: inout SplitMix64) {
        let (fcNorm, head) = Classifier.freshHead(width: student.config.embedDim, classes: classes, initScale: initScale, using: &rng)
        let rates = BlockFactory.dropPathRates(dropPath, depth: student.blocks.count)
        var blocks = student.blocks
        for i in blocks.indices { blocks[i].dropPath = rates[i] }
        self.init(
            config: student.config, patchEmbed: student.patchEmbed, blocks: blocks, fcNorm: fcNorm, head: head,
            positionEncoding: student.positionEncoding)
    }

    /// Fine-tuning initialisation from a pre-training checkpoint (docs/method.md §8.5): an MVD student (either branch
    /// naming), a VideoMAE pre-training checkpoint, an exported encoder, or for single-frame image models
    /// (`numFrames` = `tubeletSize` = 1) an MAE checkpoint. Keys are stripped of `backbone.`/`encoder.`, as the
    /// original does; the tubelet embedding and blocks are read strictly; the parts only pre-training uses
    /// (`isPreTrainingOnly`) are skipped and returned in `reader.skipped`; `fc_norm` and `head` start fresh. The
    /// original loads non-strictly; here any other key is an error, so that a checkpoint of another model kind or
    /// size is never half-loaded.
    public init(
        encoderWeights r: WeightReader, config: ModelConfig, classes: Int, dropPath: Float = 0,
        positionEncoding: PositionEncoding = .sincos3D, initScale: Float = 0.001, using rng: inout SplitMix64
    ) throws {
        r.renameKeys { key in
            for prefix in ["backbone.", "encoder."] where key.hasPrefix(prefix) { return String(key.dropFirst(prefix.count)) }
            return key
        }
        r.skip(where: Classifier.isPreTrainingOnly)
        if config.numFrames == 1 && config.tubeletSize == 1 { Classifier.convertMAELayout(r, config: config) }
        // The head is drawn from `rng` alone, as when the encoder was read key by key; the encoder is built by shape.
        var shapeOnly = SplitMix64(seed: 0)
        let (patch, blocks) = BlockFactory.freshVideoEncoder(config, dropPath: dropPath, initWeight: .xavierUniform, using: &shapeOnly)
        let (fcNorm, head) = Classifier.freshHead(width: config.embedDim, classes: classes, initScale: initScale, using: &rng)
        self.init(config: config, patchEmbed: patch, blocks: blocks, fcNorm: fcNorm, head: head, positionEncoding: positionEncoding)
        // `fc_norm` and `head` are among the keys fine-tuning never takes from a pre-training checkpoint.
        try r.load(into: &self, where: { !Classifier.isPreTrainingOnly($0) })
        try r.finish()
    }

    /// Keys (after stripping `backbone.`/`encoder.`) of the parts of pre-training checkpoints that fine-tuning drops:
    /// position tables, the encoder's final `norm`, a CLS token, heads; MVD's decoder branches (`mask_token_*`,
    /// `down_*`, `decoder_*`, `pos_embed_*`); VideoMAE's decoder (`decoder.*`, `encoder_to_decoder.*`, `mask_token`);
    /// MAE's (`decoder_embed.*`, `decoder_blocks.*`, `decoder_norm.*`, `decoder_pred.*`, `decoder_pos_embed`,
    /// `mask_token`).
    public static func isPreTrainingOnly(_ key: String) -> Bool {
        if ["pos_embed", "cls_token", "mask_token"].contains(key) { return true }
        return ["pos_embed_", "norm.", "mask_token_", "down_", "decoder.", "decoder_", "encoder_to_decoder.", "head.", "fc_norm."]
            .contains { key.hasPrefix($0) }
    }

    /// One line naming skipped keys, a group of keys under one first name component counted once:
    /// `decoder.* (4 keys), encoder_to_decoder.weight, mask_token`.
    public static func skippedSummary(_ keys: [String]) -> String {
        var groups: [(name: String, count: Int, first: String)] = []
        for key in keys.sorted() {
            let name = key.contains(".") ? key.prefix { $0 != "." } + ".*" : key
            if groups.last?.name == name { groups[groups.count - 1].count += 1 } else { groups.append((name, 1, key)) }
        }
        return groups.map { $0.count > 1 ? "\($0.name) (\($0.count) keys)" : $0.first }.joined(separator: ", ")
    }

    /// MAE keeps a single-frame model's patch embedding as a Conv2d weight [D, 3, p, p] and one combined qkv bias
    /// [3D]; this encoder holds [D, 3, 1, p, p] and separate q and v biases. The k third of the combined bias is
    /// dropped: it adds the same amount to every logit of a query row, which softmax ignores (docs/method.md §2.2).
    /// Tensors of any other shape are left alone for the strict reads to refuse.
    static func convertMAELayout(_ r: WeightReader, config: ModelConfig) {
        let (d, p) = (config.embedDim, config.patchSize)
        if let w = r.peek("patch_embed.proj.weight"), w.shape == [d, 3, p, p] {
            r.replace("patch_embed.proj.weight", with: [("patch_embed.proj.weight", w.reshaped([d, 3, 1, p, p]))])
        }
        for i in 0..<config.depth {
            let prefix = "blocks.\(i).attn."
            guard let bias = r.peek(prefix + "qkv.bias"), bias.shape == [3 * d], !r.contains(prefix + "q_bias"), !r.contains(prefix + "v_bias")
            else { continue }
            r.replace(
                prefix + "qkv.bias",
                with: [
                    (prefix + "q_bias", Tensor(shape: [d], Array(bias.storage[0..<d]))),
                    (prefix + "v_bias", Tensor(shape: [d], Array(bias.storage[(2 * d)...])))
                ])
        }
    }
}
