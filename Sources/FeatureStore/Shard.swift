import Foundation

/// One part `index` of `count` of an extraction split across independent writers (`--shard I/N`).
///
/// Shards are **contiguous video ranges**: shard I holds videos `I*N/count ..< (I+1)*N/count` (and their
/// rows) in its own file. Contiguous ranges keep every shard file a compact, ordinary cache of its slice
/// (no holes, no sparse allocation), and make the merge a sequence of block copies in shard order. The cost
/// is balance: a manifest sorted by video length gives shards unequal work; shuffle the manifest if that
/// matters. `/clips/video` always holds global video indices, so rows keep their meaning after a merge.
public struct Shard: Equatable, Sendable, CustomStringConvertible {
    public let index: Int
    public let count: Int

    /// The whole extraction in one file (shard 0 of 1).
    public static let whole = Shard(uncheckedIndex: 0, count: 1)

    /// Validates `0 <= index < count`.
    public init(index: Int, count: Int) throws {
        guard count >= 1, index >= 0, index < count else {
            throw FeatureStoreError(
                .invalidArgument,
                "shard \(index)/\(count) is not valid; use I/N with "
                    + "0 <= I < N, e.g. --shard 0/2 and --shard 1/2.")
        }
        self.index = index
        self.count = count
    }

    private init(uncheckedIndex: Int, count: Int) {
        self.index = uncheckedIndex
        self.count = count
    }

    /// Parses "I/N".
    public init(parsing text: String) throws {
        let parts = text.split(separator: "/").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 2, let index = parts[0], let count = parts[1] else {
            throw FeatureStoreError(.invalidArgument, "cannot read shard \"\(text)\"; write it as I/N, e.g. 0/4.")
        }
        try self.init(index: index, count: count)
    }

    /// The global video indices this shard owns out of `totalVideos`.
    public func videoRange(totalVideos: Int) -> Range<Int> {
        (index * totalVideos / count)..<((index + 1) * totalVideos / count)
    }

    public var isWhole: Bool { count == 1 }
    public var description: String { "\(index)/\(count)" }
}

extension Shard {
    /// Where a run over `count` processes writes this shard: beside `destination`, named after it
    /// (`feats.h5` → `feats.shard-0-of-4.h5`), so that a rerun of the same command finds and resumes it.
    public func file(beside destination: URL) -> URL {
        let stem = destination.deletingPathExtension().lastPathComponent
        let ext = destination.pathExtension.isEmpty ? "h5" : destination.pathExtension
        return destination.deletingLastPathComponent().appendingPathComponent("\(stem).shard-\(index)-of-\(count).\(ext)")
    }
}

extension Shard {
    /// The shard files that runs over several processes left beside `destination` (named by `file(beside:)`), in
    /// shard order; empty when there are none or the folder cannot be read.
    public static func files(beside destination: URL) -> [(shard: Shard, url: URL)] {
        let folder = destination.deletingLastPathComponent()
        let stem = destination.deletingPathExtension().lastPathComponent
        let ext = destination.pathExtension.isEmpty ? "h5" : destination.pathExtension
        let prefix = "\(stem).shard-", suffix = ".\(ext)"
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { return [] }
        var found: [(shard: Shard, url: URL)] = []
        for name in names where name.hasPrefix(prefix) && name.hasSuffix(suffix) && name.count > prefix.count + suffix.count {
            let middle = name.dropFirst(prefix.count).dropLast(suffix.count)  // "I-of-N"
            let parts = middle.components(separatedBy: "-of-")
            guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]),
                let shard = try? Shard(index: index, count: count), shard.file(beside: destination).lastPathComponent == name
            else { continue }
            found.append((shard, folder.appendingPathComponent(name)))
        }
        return found.sorted { ($0.shard.count, $0.shard.index) < ($1.shard.count, $1.shard.index) }
    }
}
