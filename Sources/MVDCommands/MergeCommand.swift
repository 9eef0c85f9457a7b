import ArgumentParser
import FeatureStore
import Foundation

/// `mvd merge`: joins the shard files of a sharded extraction into one cache.
public struct MergeCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Join shard caches written with --shard I/N into one cache that reads like a single-process one.",
        discussion:
            "The shards are copied, in shard order, into a fresh file written under a temporary name and renamed at the end, so the result never depends on the shard files staying in place. See docs/cache-format.md (shards and merging)."
    )

    @Argument(help: "Shard files, all N of them (any order).", transform: URL.init(fileURLWithPath:))
    var shards: [URL]

    @Option(name: .shortAndLong, help: "The merged cache to write (must not exist).", transform: URL.init(fileURLWithPath:))
    var out: URL

    public init() {}

    public func validate() throws {
        guard !shards.isEmpty else { throw ValidationError("give the shard files to merge") }
    }

    public func run() throws {
        let report = try FeatureStoreMerge.merge(shards: shards, into: out)
        let done = report.rowsDone.sorted(by: { $0.key < $1.key }).map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        print(
            "merged \(shards.count) shard(s) into \(out.path): \(report.videoCount) videos, \(report.rowCount) rows; "
                + "rows done per teacher: \(done)")
        for (name, statistics) in report.statistics.sorted(by: { $0.key < $1.key }) {
            print("teacher \(name) complete: stored its per-channel mean and std over \(statistics.rows) rows (feature_mean, feature_std)")
        }
    }
}
