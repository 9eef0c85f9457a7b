import Foundation
import Models
import TestSupport
import Testing

/// Every field of a model configuration has a range; values outside it are refused with the field and the value
/// instead of trapping or exhausting memory when the model is built.
@Suite struct ModelConfigLimitsTests {
    static let base =
        #"{"embed_dim": 64, "depth": 2, "num_heads": 4, "patch_size": 8, "input_size": 32, "num_frames": 4, "tubelet_size": 2, "mlp_ratio": 4.0}"#

    /// `base` with one key replaced, loaded through the file reader of `--model-config`.
    static func load(_ key: String, _ value: String) throws -> ModelConfig {
        var object = try JSONSerialization.jsonObject(with: Data(base.utf8)) as! [String: Any]
        object[key] = try JSONSerialization.jsonObject(with: Data(value.utf8), options: .fragmentsAllowed)
        let url = try Fixtures.temporaryDirectory("model-config").appendingPathComponent("model.json")
        try JSONSerialization.data(withJSONObject: object).write(to: url)
        return try ModelConfig.load(from: url)
    }

    @Test("the base configuration loads")
    func baseLoads() throws {
        #expect(try Self.load("depth", "2").depth == 2)
    }

    @Test(
        "out-of-range values are refused naming the field",
        arguments: [
            ("mlp_ratio", "0"), ("mlp_ratio", "0.01"), ("mlp_ratio", "-4"), ("mlp_ratio", "1e300"), ("embed_dim", "1048576"),
            ("embed_dim", "0"), ("depth", "0"), ("depth", "-1"), ("depth", "100000"), ("num_heads", "0"), ("num_heads", "3"),
            ("patch_size", "0"), ("input_size", "-32"), ("input_size", "1000000000"), ("num_frames", "0"),
            ("tubelet_size", "0"), ("num_frames", "1000000000"),
            ("decoder", #"{"embed_dim": 32, "depth": 1, "num_heads": 0}"#),
            ("decoder", #"{"embed_dim": 0, "depth": 1, "num_heads": 2}"#),
            ("decoder", #"{"embed_dim": 32, "depth": -1, "num_heads": 2}"#)
        ])
    func refused(key: String, value: String) throws {
        do {
            let config = try Self.load(key, value)
            Issue.record("\(key) = \(value) was accepted: \(config)")
        } catch let error as ModelConfigError {
            #expect("\(error)".contains(key.replacingOccurrences(of: "decoder", with: "decoder ")) || "\(error)".contains(key), "\(error)")
        }
    }

    @Test("a model too large to train in memory is refused with its parameter count")
    func parameterBound() throws {
        // 12 blocks of width 16384: about 3.9e10 parameters, far above the bound; ViT-H stays below it.
        var huge = try ModelConfig.preset("vit_huge")
        try huge.validate()
        huge.embedDim = 16_384
        #expect(huge.approximateParameterCount > Double(ModelConfig.limits.parameters))
        #expect(throws: ModelConfigError.self) { try huge.validate() }
        do { try huge.validate() } catch { #expect("\(error)".contains("parameters"), "\(error)") }
    }

    @Test("the parameter estimate matches the built-in ViT sizes")
    func parameterEstimate() throws {
        // ViT-B/16 video encoder: 86 M weights (87 M with the 3-D patch embedding of tubelet 2).
        let base = try ModelConfig.preset("vit_base")
        #expect(abs(base.approximateParameterCount - 86.2e6) < 1.5e6, "\(base.approximateParameterCount)")
    }
}
