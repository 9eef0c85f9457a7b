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
            --as encoder keeps patch_embed/blocks/norm only. Models trained with --target pixels can be exported as \
            teachers for extract-features: --as video-teacher (VideoMAE layout) or --as image-teacher (MAE layout). \
            The key layouts are in docs/method.md §8.
            """)

    @Argument(help: "The run directory written by distill.")
    var runDirectory: String

    @Option(help: "pth or safetensors.")
    var format: WeightFormat = .pth

    @Option(name: .customLong("as"), help: "Key layout: student, encoder, video-teacher, image-teacher.")
    var layout: ExportLayout = .student

    @Option(name: .shortAndLong, help: "Output file (default: RUN_DIR/<layout>.<format>; must not exist unless --overwrite).")
    var out: String?

    @Flag(help: "Replace the output file when it exists.")
    var overwrite = false

    public init() {}

    var outputURL: URL {
        URL(fileURLWithPath: out ?? URL(fileURLWithPath: runDirectory).appendingPathComponent("\(layout.rawValue).\(format.rawValue)").path)
    }

    public func validate() throws {
        try FlagChecks.refuseExisting([outputURL.path], overwrite: overwrite)
    }

    public func run() throws {
        let run = RunDirectory(URL(fileURLWithPath: runDirectory))
        var student = try run.loadStudent()
        let tensors = try student.exported(as: layout)
        let url = outputURL
        switch format {
        case .pth: try TorchCheckpoint.write(StateDict(tensors: tensors), to: url)
        case .safetensors: try SafeTensors.write(StateDict(tensors: tensors), to: url)
        }
        print("wrote \(tensors.count) tensors (\(layout.rawValue) layout) to \(url.path)")
    }
}
