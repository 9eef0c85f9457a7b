import ArgumentParser
import Checkpoint
import Distill
import Foundation
import Models

extension ExportLayout: ExpressibleByArgument {}

/// Checkpoint file formats for writing weights.
public enum WeightFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
    case pth, safetensors
}

/// `mvd export RUN_DIR`: writes a trained student in the official key layout.
public struct ExportCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a run's student in the official key layout (.pth or safetensors).",
        discussion: """
            --as student writes MVD's full student state dict, which the original fine-tuning code loads directly; \
            a student of one image and one video teacher gets the original's branch names (mask_token_img, down_img.*, \
            decoder_img.*, pos_embed_img and the same with _vid, chosen by each teacher's kind in the cache), so that \
            the original PretrainVisionTransformer student loads it strictly; other teacher sets keep the cache's group \
            names. \
            --as encoder keeps patch_embed/blocks/norm only. Models trained with --target pixels can be exported as \
            teachers for extract-features: --as video-teacher (VideoMAE layout) or --as image-teacher (MAE layout). \
            The key layouts are in docs/method.md §8.
            """)

    @Argument(help: "The run directory written by distill.", transform: URL.init(fileURLWithPath:))
    var runDirectory: URL

    @Option(help: "pth or safetensors.")
    var format: WeightFormat = .pth

    @Option(name: .customLong("as"), help: "Key layout: student, encoder, video-teacher, image-teacher.")
    var layout: ExportLayout = .student

    @Option(
        name: .shortAndLong, help: "Output file (default: RUN_DIR/<layout>.<format>; must not exist unless --overwrite).",
        transform: URL.init(fileURLWithPath:))
    var out: URL?

    @Flag(help: "Replace the output file when it exists.")
    var overwrite = false

    public init() {}

    var outputURL: URL {
        out ?? runDirectory.appendingPathComponent("\(layout.rawValue).\(format.rawValue)")
    }

    public func validate() throws {
        try FlagChecks.refuseExisting([outputURL], overwrite: overwrite)
    }

    public func run() throws {
        let run = RunDirectory(runDirectory)
        var student = try run.loadStudent()
        let branchNames = layout == .student ? try run.readConfig().officialBranchNames : [:]
        let tensors = try student.exported(as: layout, branchNames: branchNames)
        let url = outputURL
        switch format {
        case .pth: try TorchCheckpoint.write(StateDict(tensors: tensors), to: url)
        case .safetensors: try SafeTensors.write(StateDict(tensors: tensors), to: url)
        }
        let renamed = branchNames.sorted { $0.value < $1.value }.map { "\($0.key) → \($0.value)" }.joined(separator: ", ")
        print("wrote \(tensors.count) tensors (\(layout.rawValue) layout\(renamed.isEmpty ? "" : "; branches \(renamed)")) to \(url.path)")
    }
}
