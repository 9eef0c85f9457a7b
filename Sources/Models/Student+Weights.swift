import Tensor

/// A decoder branch to build: its key suffix (`img`, `vid`, or a teacher name) and the teacher's feature width.
public struct BranchSpec: Sendable, Equatable, Codable {
    public var name: String
    public var targetWidth: Int
    public init(name: String, targetWidth: Int) {
        self.name = name
        self.targetWidth = targetWidth
    }
}

extension Student {
    /// The decoder settings in force: the config's `decoder`, else MVD's defaults (encoder width and heads, depth 2).
    public static func decoderConfig(_ config: ModelConfig) -> DecoderConfig {
        config.decoder ?? DecoderConfig(embedDim: config.embedDim, depth: 2, numHeads: config.numHeads)
    }

    /// Loads a student checkpoint in the official layout (docs/method.md §8.4) strictly: the student is built by
    /// shape and every parameter read under its visitor's name. The frozen position tables are skipped and regenerated.
    public init(
        weights r: WeightReader, config: ModelConfig, branches specs: [BranchSpec], dropPath: Float = 0,
        positionEncoding: PositionEncoding = .sincos3D
    ) throws {
        var shapeOnly = SplitMix64(seed: 0)
        self.init(fresh: config, branches: specs, dropPath: dropPath, positionEncoding: positionEncoding, using: &shapeOnly)
        try load(r)
        try r.finish()
    }

    /// Reads every parameter from `r` (which then holds no key of this student unread) and skips the frozen
    /// position tables. The caller decides what else the file may hold before `r.finish()`.
    public mutating func load(_ r: WeightReader) throws {
        let tableKeys = Set(positionTables().map(\.0))
        r.skip { tableKeys.contains($0) }
        try r.load(into: &self)
    }

    /// The frozen position tables in the official keys and shapes: `pos_embed` [1, N, D] and `pos_embed_<branch>`.
    func positionTables() -> [(String, Tensor)] {
        let n = tokens
        return [("pos_embed", positions.reshaped([1, n, config.embedDim]))]
            + branches.map { ("pos_embed_\($0.name)", $0.positions.reshaped([1, n, $0.width])) }
    }

    /// A student initialised as the original does from scratch (docs/method.md §2.8): xavier-uniform Linear weights,
    /// zero biases, LayerNorm (1, 0), PyTorch's default Conv3d init for the tubelet embedding (U(±1/√fan_in)),
    /// mask tokens truncated normal (std 0.02, cut at ±0.02).
    public init(
        fresh config: ModelConfig, branches specs: [BranchSpec], dropPath: Float = 0,
        positionEncoding: PositionEncoding = .sincos3D, using rng: inout SplitMix64
    ) {
        let d = config.embedDim
        let dec = Student.decoderConfig(config)
        let (patch, blocks) = BlockFactory.freshVideoEncoder(config, dropPath: dropPath, initWeight: .xavierUniform, using: &rng)
        let decRates = BlockFactory.dropPathRates(dropPath, depth: dec.depth)
        let dd = dec.embedDim
        let branches = specs.map { spec in
            DecoderBranch(
                name: spec.name, maskToken: Tensor.truncatedNormal([1, 1, dd], std: 0.02, limit: 0.02, using: &rng),
                down: Linear(weight: LinearInit.xavierUniform.make([dd, d], using: &rng), bias: Tensor.zeros([dd])),
                positions: PositionTables.table(positionEncoding, embedDim: dd, config: config),
                blocks: (0..<dec.depth).map {
                    BlockFactory.fresh(
                        width: dd, heads: dec.numHeads, hidden: Int(Double(dd) * config.mlpRatio), style: .separateQV,
                        dropPath: decRates[$0], initWeight: .xavierUniform, using: &rng)
                },
                norm: LayerNorm(dimension: dd),
                head: Linear(weight: LinearInit.xavierUniform.make([spec.targetWidth, dd], using: &rng), bias: Tensor.zeros([spec.targetWidth])))
        }
        self.init(
            config: config, patchEmbed: patch, blocks: blocks, norm: LayerNorm(dimension: d), branches: branches,
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
        var out: [(String, Tensor)] = []
        let tables = Dictionary(uniqueKeysWithValues: named.positionTables())
        out.append(("pos_embed", tables["pos_embed"]!))
        for b in named.branches {
            out.append(("mask_token_\(b.name)", b.maskToken.value))
            out.append(("pos_embed_\(b.name)", tables["pos_embed_\(b.name)"]!))
        }
        out += named.checkpointTensors().filter { !$0.0.hasPrefix("mask_token_") }
        return out
    }
}

extension DecoderBranch {
    /// The same branch under another key name.
    func renamed(_ newName: String) -> DecoderBranch {
        DecoderBranch(name: newName, maskToken: maskToken.value, down: down, positions: positions, blocks: blocks, norm: norm, head: head)
    }
}
