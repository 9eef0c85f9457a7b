import ArgumentParser
import FeatureStore
import Foundation

/// `mvd inspect FILE.h5`: a readable summary of a feature cache.
public struct InspectCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Summarise a feature cache: videos, teachers, rows done, size, completeness.",
        discussion: "The cache is plain HDF5: `h5dump -H FILE.h5` shows its layout and h5py opens it directly; docs/cache-format.md specifies it.")

    @Argument(help: "The cache file (.h5).", transform: URL.init(fileURLWithPath:))
    var file: URL

    @Flag(help: "Exit with status 1 when the cache is incomplete (for scripts).")
    var requireComplete = false

    @Flag(
        help:
            "Make the rows of int8 teachers whose scales are damaged (listed by inspect) pending again, so that rerunning the teacher's extract-features command extracts only them."
    )
    var resetDamaged = false

    public init() {}

    public func run() throws {
        if resetDamaged {
            let reset = try ScaleCheck.resetDamagedRows(in: file)
            guard !reset.isEmpty else { return print("\(file.path): no int8 teacher holds a damaged scale; nothing to reset") }
            for (teacher, rows) in reset.sorted(by: { $0.key < $1.key }) {
                print(
                    "teacher \(teacher): \(rows.count) row(s) pending again; rerun its extract-features command with "
                        + "--out \(file.path) to extract them")
            }
            return
        }
        let summary = try FeatureStoreInspection.summary(of: file)
        print(summary.description)
        if requireComplete && !summary.isComplete { throw ExitCode(1) }
    }
}
