import Foundation

/// The shape of a ViT: a preset (`vit_small` … `vit_huge`, docs/method.md §2.1) or a custom JSON file given with
/// `--model-config FILE`, whose keys are exactly the coding keys below (plus an optional `decoder` object).
public struct ModelConfig: Codable, Sendable, Equatable {
    public var embedDim: Int
    public var depth: Int
    public var numHeads: Int
    public var patchSize: Int
    public var inputSize: Int
    public var numFrames: Int
    public var tubeletSize: Int
    public var mlpRatio: Double
    /// Student decoder settings (ignored by teachers and the classifier).
    public var decoder: DecoderConfig?

    enum CodingKeys: String, CodingKey {
        case embedDim = "embed_dim", depth, numHeads = "num_heads", patchSize = "patch_size"
        case inputSize = "input_size", numFrames = "num_frames", tubeletSize = "tubelet_size"
        case mlpRatio = "mlp_ratio", decoder
    }

    public init(
        embedDim: Int, depth: Int, numHeads: Int, patchSize: Int = 16, inputSize: Int = 224,
        numFrames: Int = 16, tubeletSize: Int = 2, mlpRatio: Double = 4, decoder: DecoderConfig? = nil
    ) {
        self.embedDim = embedDim
        self.depth = depth
        self.numHeads = numHeads
        self.patchSize = patchSize
        self.inputSize = inputSize
        self.numFrames = numFrames
        self.tubeletSize = tubeletSize
        self.mlpRatio = mlpRatio
        self.decoder = decoder
    }

    public var mlpHidden: Int { Int(Double(embedDim) * mlpRatio) }
    public var gridSide: Int { inputSize / patchSize }
    public var tokensPerFrame: Int { gridSide * gridSide }
    /// Tokens of a video clip: (T / tubelet) · (S / p)².
    public var videoTokens: Int { (numFrames / tubeletSize) * tokensPerFrame }

    /// Upper bounds of every size. They sit far above any ViT in use (ViT-H is 1280 wide, 32 deep, 632 M parameters)
    /// and far below what overflows an `Int` or exhausts memory, so that a typo in a config file is refused before
    /// anything is allocated instead of ending in a trap or an allocation failure.
    public static let limits = (
        embedDim: 16_384, depth: 256, numHeads: 256, patchSize: 256, inputSize: 4_096,
        numFrames: 1_024, tokens: 65_536, mlpRatio: 16.0, parameters: 2_000_000_000
    )

    /// Weights of the encoder and the decoder, counted from the shapes (patch embedding, blocks, final norm); the
    /// bound on model size is checked against it.
    public var approximateParameterCount: Double {
        func blocks(_ width: Double, _ depth: Double, _ hidden: Double) -> Double {
            depth * (4 * width * width + 2 * width * hidden + 9 * width + hidden)
        }
        let d = Double(embedDim)
        var count = 3 * Double(tubeletSize * patchSize * patchSize) * d + blocks(d, Double(depth), d * mlpRatio) + 2 * d
        if let dec = decoder {
            let w = Double(dec.embedDim)
            count += blocks(w, Double(dec.depth), w * mlpRatio) + d * w
        }
        return count
    }

    /// Checks ranges and divisibility rules; the message names the offending field and its value. The 3-D sin-cos
    /// table (student, classifier) needs a width divisible by 16; the teachers' tables do not.
    public func validate(needsSinCos3D: Bool = true) throws {
        func fail(_ m: String) -> ModelConfigError { ModelConfigError.invalid(m) }
        let limits = Self.limits
        for (name, value, limit) in [
            ("embed_dim", embedDim, limits.embedDim), ("depth", depth, limits.depth),
            ("num_heads", numHeads, limits.numHeads), ("patch_size", patchSize, limits.patchSize),
            ("input_size", inputSize, limits.inputSize), ("num_frames", numFrames, limits.numFrames),
            ("tubelet_size", tubeletSize, limits.numFrames)
        ] {
            guard value >= 1 && value <= limit else { throw fail("\(name) must be between 1 and \(limit), got \(value)") }
        }
        guard mlpRatio.isFinite, mlpRatio > 0, mlpRatio <= limits.mlpRatio, mlpHidden >= 1 else {
            throw fail(
                "mlp_ratio must be a number in (0, \(limits.mlpRatio)] that gives an MLP at least 1 wide "
                    + "(embed_dim \(embedDim) × mlp_ratio), got \(mlpRatio)")
        }
        guard embedDim % numHeads == 0 else { throw fail("embed_dim \(embedDim) is not divisible by num_heads \(numHeads)") }
        guard inputSize % patchSize == 0 else { throw fail("input_size \(inputSize) is not divisible by patch_size \(patchSize)") }
        guard numFrames % tubeletSize == 0 else { throw fail("num_frames \(numFrames) is not divisible by tubelet_size \(tubeletSize)") }
        guard videoTokens <= limits.tokens else {
            throw fail(
                "\(videoTokens) tokens per clip ((num_frames / tubelet_size) × (input_size / patch_size)²) exceed "
                    + "\(limits.tokens); use a larger patch_size or tubelet_size, or fewer frames or pixels")
        }
        guard !needsSinCos3D || embedDim % 16 == 0 else { throw fail("embed_dim \(embedDim) must be a multiple of 16 for the 3-D sin-cos table") }
        if let d = decoder {
            for (name, value, limit) in [
                ("decoder embed_dim", d.embedDim, limits.embedDim), ("decoder depth", d.depth, limits.depth),
                ("decoder num_heads", d.numHeads, limits.numHeads)
            ] {
                guard value >= 1 && value <= limit else { throw fail("\(name) must be between 1 and \(limit), got \(value)") }
            }
            guard d.embedDim % d.numHeads == 0, d.embedDim % 16 == 0 else {
                throw fail("decoder embed_dim \(d.embedDim) must be a multiple of 16 and of its num_heads \(d.numHeads)")
            }
        }
        guard approximateParameterCount <= Double(limits.parameters) else {
            throw fail(
                String(
                    format: "the model would have about %.3g parameters, more than the %.3g this implementation "
                        + "trains in memory; lower embed_dim, depth or mlp_ratio", approximateParameterCount, Double(limits.parameters)))
        }
    }

    /// The named presets of docs/method.md §2.1 (patch 16, tubelet 2, 16 frames, 224 px, MLP ratio 4).
    public static func preset(_ name: String) throws -> ModelConfig {
        switch name {
        case "vit_small": return ModelConfig(embedDim: 384, depth: 12, numHeads: 6)
        case "vit_base": return ModelConfig(embedDim: 768, depth: 12, numHeads: 12)
        case "vit_large": return ModelConfig(embedDim: 1024, depth: 24, numHeads: 16)
        case "vit_huge": return ModelConfig(embedDim: 1280, depth: 32, numHeads: 16)
        default: throw ModelConfigError.unknownPreset(name)
        }
    }

    public static let presetNames = ["vit_small", "vit_base", "vit_large", "vit_huge"]

    /// The preset of an MAE image teacher (docs/method.md §2.4): as `preset`, except that MAE's ViT-H has 14-pixel
    /// patches (`mae_teacher_vit_huge_patch14`); the original runs it on 196 px frames so that its 14×14 grid is the
    /// patch-16 student's at 224.
    public static func imageTeacherPreset(_ name: String) throws -> ModelConfig {
        var config = try preset(name)
        if name == "vit_huge" { config.patchSize = 14 }
        return config
    }

    /// Reads a custom configuration; unknown keys are refused so that typos do not pass silently.
    public static func load(from url: URL) throws -> ModelConfig {
        let data = try Data(contentsOf: url)
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ModelConfigError.invalid("\(url.path) is not a JSON object")
        }
        let allowed: Set<String> = [
            "embed_dim", "depth", "num_heads", "patch_size", "input_size", "num_frames",
            "tubelet_size", "mlp_ratio", "decoder"
        ]
        if let unknown = object.keys.first(where: { !allowed.contains($0) }) {
            throw ModelConfigError.invalid("\(url.path): unknown key '\(unknown)'; allowed keys: \(allowed.sorted().joined(separator: ", "))")
        }
        do {
            let config = try JSONDecoder().decode(ModelConfig.self, from: data)
            try config.validate(needsSinCos3D: false)  // the 3-D table rule is checked where a student is built
            return config
        } catch let error as DecodingError {
            throw ModelConfigError.invalid("\(url.path): \(error)")
        }
    }
}

/// The student's decoder branches: width, depth and heads (MVD defaults: width and heads of the encoder, depth 2).
public struct DecoderConfig: Codable, Sendable, Equatable {
    public var embedDim: Int
    public var depth: Int
    public var numHeads: Int

    enum CodingKeys: String, CodingKey { case embedDim = "embed_dim", depth, numHeads = "num_heads" }

    public init(embedDim: Int, depth: Int, numHeads: Int) {
        self.embedDim = embedDim
        self.depth = depth
        self.numHeads = numHeads
    }
}

public enum ModelConfigError: Error, CustomStringConvertible, Equatable {
    case unknownPreset(String)
    case invalid(String)

    public var description: String {
        switch self {
        case .unknownPreset(let n):
            return "unknown architecture '\(n)'; use one of \(ModelConfig.presetNames.joined(separator: ", ")) or --model-config FILE"
        case .invalid(let m): return "invalid model configuration: \(m)"
        }
    }
}
