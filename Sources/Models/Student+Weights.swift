import Tensor

/// A decoder branch to build: its key suffix (`img`, `vid`, or a teacher name) and the teacher's feature width.
public struct BranchSpec: Sendable, Equatable, Codable {
    public var name: String
    public var targetWidth: Int
    public init(name: String, targetWidth: Int) { self.name = name; self.targetWidth = targetWidth }
}

extension Student {
    /// The decoder settings in force: the config's `decoder`, else MVD's defaults (encoder width and heads, depth 2).
    public static func decoderConfig(_ config: ModelConfig) -> DecoderConfig {
        config.decoder ?? DecoderConfig(embedDim: config.embedDim, depth: 2, numHeads: config.numHeads)
    }

    /// Loads a student checkpoint in the official layout (docs/method.md §8.4) strictly. The frozen position tables
    /// (`pos_embed`, `pos_embed_<branch>`) are skipped and regenerated.
    public init(weights r: WeightReader, config: ModelConfig, branches specs: [BranchSpec], dropPath: Float = 0,
                positionEncoding: PositionEncoding = .sincos3D) throws {
        let d = config.embedDim
        let dec = Student.decoderConfig(config)
        let tableKeys = Set(["pos_embed"] + specs.map { "pos_embed_\($0.name)" })
        r.skip { tableKeys.contains($0) }
        let (patch, blocks) = try BlockFactory.loadVideoEncoder(r.scoped(""), config: config, dropPath: dropPath)
        let norm = LayerNorm(weight: try r.tensor("norm.weight", shape: [d]), bias: try r.tensor("norm.bias", shape: [d]))
        let branches = try specs.map {
            try Student.loadBranch(r, spec: $0, config: config, decoder: dec, dropPath: dropPath, encoding: positionEncoding)
        }
        self.init(config: config, patchEmbed: patch, blocks: blocks, norm: norm, branches: branches, positionEncoding: positionEncoding)
        try r.finish()
    }

    private static func loadBranch(_ r: WeightReader, spec: BranchSpec, config: ModelConfig, decoder dec: DecoderConfig,
                                   dropPath: Float, encoding: PositionEncoding) throws -> DecoderBranch {
        let (d, dd) = (config.embedDim, dec.embedDim)
        let w = r.scoped("decoder_\(spec.name).")
        let rates = BlockFactory.dropPathRates(dropPath, depth: dec.depth)
        let blocks = try (0..<dec.depth).map {
            try BlockFactory.load(w.scoped("blocks.\($0)."), width: dd, heads: dec.numHeads, hidden: Int(Double(dd) * config.mlpRatio),
                                  style: .separateQV, dropPath: rates[$0])
        }
        return DecoderBranch(
            name: spec.name, maskToken: try r.tensor("mask_token_\(spec.name)", shape: [1, 1, dd]),
            down: Linear(weight: try r.tensor("down_\(spec.name).weight", shape: [dd, d]), bias: try r.tensor("down_\(spec.name).bias", shape: [dd])),
            positions: PositionTables.table(encoding, embedDim: dd, config: config),
            blocks: blocks,
            norm: LayerNorm(weight: try w.tensor("norm.weight", shape: [dd]), bias: try w.tensor("norm.bias", shape: [dd])),
            head: Linear(weight: try w.tensor("head.weight", shape: [spec.targetWidth, dd]), bias: try w.tensor("head.bias", shape: [spec.targetWidth])))

    }

    /// A student initialised as the original does from scratch (docs/method.md §2.8): xavier-uniform Linear weights,
    /// zero biases, LayerNorm (1, 0), PyTorch's default Conv3d init for the tubelet embedding (U(±1/√fan_in)),
    /// mask tokens truncated normal (std 0.02, cut at ±0.02).
    public init(fresh config: ModelConfig, branches specs: [BranchSpec], dropPath: Float = 0,
                positionEncoding: PositionEncoding = .sincos3D, using rng: inout SplitMix64) {
        let (d, p, t) = (config.embedDim, config.patchSize, config.tubeletSize)
        let dec = Student.decoderConfig(config)
        let geometry = PatchGeometry(frames: config.numFrames, height: config.inputSize, width: config.inputSize, tubelet: t, patch: p)
        let bound = 1 / Float(geometry.patchSize).squareRoot()
        let patch = PatchEmbed(weight: Tensor.uniform([d, geometry.patchSize], bound: bound, using: &rng),
                               bias: Tensor.uniform([d], bound: bound, using: &rng), geometry: geometry)
        let rates = BlockFactory.dropPathRates(dropPath, depth: config.depth)
        let blocks = (0..<config.depth).map {
            BlockFactory.fresh(width: d, heads: config.numHeads, hidden: config.mlpHidden, style: .separateQV,
                               dropPath: rates[$0], initWeight: .xavierUniform, using: &rng)
        }
        let decRates = BlockFactory.dropPathRates(dropPath, depth: dec.depth)
        let dd = dec.embedDim
        let branches = specs.map { spec in
            DecoderBranch(
                name: spec.name, maskToken: Tensor.truncatedNormal([1, 1, dd], std: 0.02, limit: 0.02, using: &rng),
                down: Linear(weight: LinearInit.xavierUniform.make([dd, d], using: &rng), bias: Tensor.zeros([dd])),
                positions: PositionTables.table(positionEncoding, embedDim: dd, config: config),
                blocks: (0..<dec.depth).map {
                    BlockFactory.fresh(width: dd, heads: dec.numHeads, hidden: Int(Double(dd) * config.mlpRatio), style: .separateQV,
                                       dropPath: decRates[$0], initWeight: .xavierUniform, using: &rng)
                },
                norm: LayerNorm(dimension: dd),
                head: Linear(weight: LinearInit.xavierUniform.make([spec.targetWidth, dd], using: &rng), bias: Tensor.zeros([spec.targetWidth])))
        }
        self.init(config: config, patchEmbed: patch, blocks: blocks, norm: LayerNorm(dimension: d), branches: branches,
                  positionEncoding: positionEncoding)
    }

    /// The state dict in the official key layout and shapes (docs/method.md §8.4), frozen tables included, so the original
    /// PyTorch code can load it. Order: tables and mask tokens first, then the module order. `branchNames` renames
    /// branches in the keys (`image` → `img` gives `mask_token_img`, `down_img.*`, `decoder_img.*`, `pos_embed_img`);
    /// branches it does not name keep their own names. The new names must differ from each other and from the
    /// names kept.
    public func officialStateDict(branchNames: [String: String] = [:]) -> [(String, Tensor)] {
        var named = self
        named.branches = branches.map { b in branchNames[b.name].map { b.renamed($0) } ?? b }
        precondition(Set(named.branches.map(\.name)).count == branches.count, "branch names \(named.branches.map(\.name)) collide")
        let (d, n) = (config.embedDim, tokens)
        var out: [(String, Tensor)] = [("pos_embed", positions.reshaped([1, n, d]))]
        for b in named.branches {
            out.append(("mask_token_\(b.name)", b.maskToken.value))
            out.append(("pos_embed_\(b.name)", b.positions.reshaped([1, n, b.width])))
        }
        let g = patchEmbed.geometry
        named.visitParameters(prefix: "") { name, p in
            if name.hasPrefix("mask_token_") { return }
            let value = name == "patch_embed.proj.weight" ? p.value.reshaped([p.value.shape[0], 3, g.tubelet, g.patch, g.patch]) : p.value
            out.append((name, value))
        }
        return out
    }
}

extension DecoderBranch {
    /// The same branch under another key name.
    func renamed(_ newName: String) -> DecoderBranch {
        DecoderBranch(name: newName, maskToken: maskToken.value, down: down, positions: positions, blocks: blocks, norm: norm, head: head)
    }
}
