import Foundation

/// The shape of a ViT: a preset (`vit_small` … `vit_huge`, MVD-SPEC §2.1) or a custom JSON file given with
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

    public init(embedDim: Int, depth: Int, numHeads: Int, patchSize: Int = 16, inputSize: Int = 224,
                numFrames: Int = 16, tubeletSize: Int = 2, mlpRatio: Double = 4, decoder: DecoderConfig? = nil) {
        self.embedDim = embedDim; self.depth = depth; self.numHeads = numHeads; self.patchSize = patchSize
        self.inputSize = inputSize; self.numFrames = numFrames; self.tubeletSize = tubeletSize
        self.mlpRatio = mlpRatio; self.decoder = decoder
    }

    public var mlpHidden: Int { Int(Double(embedDim) * mlpRatio) }
    public var gridSide: Int { inputSize / patchSize }
    public var tokensPerFrame: Int { gridSide * gridSide }
    /// Tokens of a video clip: (T / tubelet) · (S / p)².
    public var videoTokens: Int { (numFrames / tubeletSize) * tokensPerFrame }

    /// Checks divisibility rules; the message names the offending field. The 3-D sin-cos table (student,
    /// classifier) needs a width divisible by 16; the teachers' tables do not.
    public func validate(needsSinCos3D: Bool = true) throws {
        func fail(_ m: String) -> ModelConfigError { ModelConfigError.invalid(m) }
        guard embedDim > 0, depth > 0, numHeads > 0, patchSize > 0, inputSize > 0, numFrames > 0, tubeletSize > 0 else {
            throw fail("every size must be positive")
        }
        guard embedDim % numHeads == 0 else { throw fail("embed_dim \(embedDim) is not divisible by num_heads \(numHeads)") }
        guard inputSize % patchSize == 0 else { throw fail("input_size \(inputSize) is not divisible by patch_size \(patchSize)") }
        guard numFrames % tubeletSize == 0 else { throw fail("num_frames \(numFrames) is not divisible by tubelet_size \(tubeletSize)") }
        guard !needsSinCos3D || embedDim % 16 == 0 else { throw fail("embed_dim \(embedDim) must be a multiple of 16 for the 3-D sin-cos table") }
        if let d = decoder {
            guard d.embedDim % d.numHeads == 0, d.embedDim % 16 == 0 else {
                throw fail("decoder embed_dim \(d.embedDim) must be a multiple of 16 and of its num_heads \(d.numHeads)")
            }
        }
    }

    /// The named presets of MVD-SPEC §2.1 (patch 16, tubelet 2, 16 frames, 224 px, MLP ratio 4).
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

    /// Reads a custom configuration; unknown keys are refused so that typos do not pass silently.
    public static func load(from url: URL) throws -> ModelConfig {
        let data = try Data(contentsOf: url)
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ModelConfigError.invalid("\(url.path) is not a JSON object")
        }
        let allowed: Set<String> = ["embed_dim", "depth", "num_heads", "patch_size", "input_size", "num_frames",
                                    "tubelet_size", "mlp_ratio", "decoder"]
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
        self.embedDim = embedDim; self.depth = depth; self.numHeads = numHeads
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
