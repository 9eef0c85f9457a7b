import ArgumentParser
import Checkpoint
import Distill
import Foundation
import Models
import Tensor

/// `mvd init-encoder`: a freshly initialised, untrained encoder written as a checkpoint, for controls such as a
/// student distilled from a teacher that knows nothing.
public struct InitEncoderCommand: ParsableCommand {
    public init() {}
    public static let configuration = CommandConfiguration(
        commandName: "init-encoder",
        abstract: "Write an untrained encoder (the pre-training initialisation, seeded) in an export layout.",
        discussion: """
            --as video-teacher writes a VideoMAE-layout teacher that extract-features --teacher video runs: the
            'random teacher' control of docs/experiment/README.md.
            """)

    @OptionGroup var model: ModelOptions
    @Option(name: .customLong("as"), help: "Key layout: video-teacher, student or encoder.")
    var layout: ExportLayout = .videoTeacher
    @Option(help: "pth or safetensors.")
    var format: WeightFormat = .safetensors
    @Option(help: "Seed of the initialisation.")
    var seed: UInt64 = 0
    @Option(name: .shortAndLong, help: "Output file (refused when it exists, unless --overwrite).", transform: URL.init(fileURLWithPath:))
    var out: URL
    @Flag(help: "Replace an existing output file.")
    var overwrite = false

    public func validate() throws {
        guard layout != .imageTeacher else {
            throw ValidationError("--as image-teacher is not supported here; use video-teacher, student or encoder")
        }
        try FlagChecks.refuseExisting([out], overwrite: overwrite)
    }

    public func run() throws {
        let table: PositionEncoding = layout == .videoTeacher ? .sinusoid1D : .sincos3D
        let (name, config) = try model.resolve(defaultArch: "vit_small", positionTable: table)
        var rng = SplitMix64(seed: seed)
        var student = Student(fresh: config, branches: [], positionEncoding: table, using: &rng)
        let tensors = try student.exported(as: layout)
        let url = out
        switch format {
        case .pth: try TorchCheckpoint.write(StateDict(tensors: tensors), to: url)
        case .safetensors: try SafeTensors.write(StateDict(tensors: tensors), to: url)
        }
        print("wrote an untrained \(name) encoder (seed \(seed), \(layout.rawValue) layout, \(tensors.count) tensors) to \(url.path)")
    }
}
