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

    public init() {}

    public func run() throws {
        let summary = try FeatureStoreInspection.summary(of: file)
        print(summary.description)
        if requireComplete && !summary.isComplete { throw ExitCode(1) }
    }
}
