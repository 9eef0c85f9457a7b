import ArgumentParser

@main
struct MVD: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mvd",
        abstract: "Masked Video Distillation utilities.",
        subcommands: [SynthCommand.self, BenchDecodeCommand.self])
}
