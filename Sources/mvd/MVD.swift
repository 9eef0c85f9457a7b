import ArgumentParser
import MVDCommands
import Tensor

@main
struct MVD: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mvd",
        abstract: "Masked Video Distillation: teacher feature caches, student training, evaluation.",
        discussion: "Documentation: docs/design.md, docs/cache-format.md (the cache), docs/method.md (the original method).",
        subcommands: [
            SynthCommand.self, SynthWorldCommand.self, InitEncoderCommand.self, ExperimentPrepareCommand.self, ExperimentSummaryCommand.self, ExperimentScalingCommand.self, ExtractFeaturesCommand.self,
            DistillCommand.self, EvaluateCommand.self, InspectCommand.self, MergeCommand.self, ExportCommand.self,
            SimilarityCommand.self, PlotMetricsCommand.self, ReportCommand.self, BenchCommand.self, BenchDecodeCommand.self
        ])

    static func main() {
        ProcessMemory.keepFreedMemory()
        main(nil)
    }
}
