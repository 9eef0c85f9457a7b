import ArgumentParser
import FeatureStore
import Foundation

/// `mvd inspect FILE.h5`: a readable summary of a feature cache.
public struct InspectCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Summarise a feature cache: videos, teachers, rows done, size, completeness.",
        discussion: "The cache is plain HDF5: `h5dump -H FILE.h5` shows its layout and h5py opens it directly; docs/cache-format.md specifies it.")

    @Argument(help: "The cache file (.h5).")
    var file: String

    @Flag(help: "Exit with status 1 when the cache is incomplete (for scripts).")
    var requireComplete = false

    public init() {}

    public func run() throws {
        let summary = try FeatureStoreInspection.summary(of: URL(fileURLWithPath: file))
        print(summary.description)
        if requireComplete && !summary.isComplete { throw ExitCode(1) }
    }
}

/// `mvd merge`: joins the shard files of a sharded extraction into one cache.
public struct MergeCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Join shard caches written with --shard I/N into one cache that reads like a single-process one.",
        discussion: "The shards are copied, in shard order, into a fresh file written under a temporary name and renamed at the end, so the result never depends on the shard files staying in place. See docs/cache-format.md (shards and merging).")

    @Argument(help: "Shard files, all N of them (any order).")
    var shards: [String]

    @Option(name: .shortAndLong, help: "The merged cache to write (must not exist).")
    var out: String

    public init() {}

    public func run() throws {
        guard !shards.isEmpty else { throw ValidationError("give the shard files to merge") }
        let report = try FeatureStoreMerge.merge(shards: shards.map { URL(fileURLWithPath: $0) }, into: URL(fileURLWithPath: out))
        print("merged \(shards.count) shard(s) into \(out): \(report.videoCount) videos, \(report.rowCount) rows; rows done per teacher: "
              + report.rowsDone.sorted(by: { $0.key < $1.key }).map { "\($0.key) \($0.value)" }.joined(separator: ", "))
    }
}
