import Tensor

extension Classifier {
    /// A fresh head (fc_norm (1, 0); head trunc-normal 0.02 × `initScale`, bias 0), as fine-tuning starts.
    static func freshHead(width d: Int, classes: Int, initScale: Float, using rng: inout SplitMix64) -> (LayerNorm, Linear) {
        var w = LinearInit.truncatedNormal(std: 0.02).make([classes, d], using: &rng)
        w.scale(by: initScale)
        return (LayerNorm(dimension: d), Linear(weight: w, bias: Tensor.zeros([classes])))
    }

    /// The student's encoder (tubelet embedding and blocks; its final norm and decoders are dropped, as
    /// fine-tuning does) with a fresh `fc_norm` and head, and the student's position table.
    public init(encoderOf student: Student, classes: Int, dropPath: Float = 0, initScale: Float = 0.001, using rng: inout SplitMix64) {
        let (fcNorm, head) = Classifier.freshHead(width: student.config.embedDim, classes: classes, initScale: initScale, using: &rng)
        let rates = BlockFactory.dropPathRates(dropPath, depth: student.blocks.count)
        var blocks = student.blocks
        for i in blocks.indices { blocks[i].dropPath = rates[i] }
        self.init(config: student.config, patchEmbed: student.patchEmbed, blocks: blocks, fcNorm: fcNorm, head: head,
                  positionEncoding: student.positionEncoding)
    }

    /// Fine-tuning initialisation from an official checkpoint (docs/method.md §8.5): an MVD student, a VideoMAE
    /// pre-training checkpoint or an exported encoder. Keys are stripped of `backbone.`/`encoder.`; the tubelet
    /// embedding and blocks are read strictly; position tables, the final norm, decoders, mask tokens and heads are
    /// skipped (returned in `reader.skipped`); `fc_norm` and `head` start fresh. Any other key is an error.
    public init(encoderWeights r: WeightReader, config: ModelConfig, classes: Int, dropPath: Float = 0,
                positionEncoding: PositionEncoding = .sincos3D, initScale: Float = 0.001, using rng: inout SplitMix64) throws {
        r.renameKeys { key in
            for prefix in ["backbone.", "encoder."] where key.hasPrefix(prefix) { return String(key.dropFirst(prefix.count)) }
            return key
        }
        r.skip { k in
            k.contains("pos_embed") || k.hasPrefix("norm.") || k.hasPrefix("mask_token") || k.hasPrefix("down_")
                || k.hasPrefix("decoder") || k.hasPrefix("to_decoder") || k.hasPrefix("head.") || k.hasPrefix("fc_norm.")
                || k == "cls_token"
        }
        let d = config.embedDim
        let (patch, blocks) = try BlockFactory.loadVideoEncoder(r.scoped(""), config: config, dropPath: dropPath)
        try r.finish()
        let (fcNorm, head) = Classifier.freshHead(width: d, classes: classes, initScale: initScale, using: &rng)
        self.init(config: config, patchEmbed: patch, blocks: blocks, fcNorm: fcNorm, head: head, positionEncoding: positionEncoding)
    }
}
