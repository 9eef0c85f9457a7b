import Foundation

/// Per-channel statistics of one teacher's stored targets over a whole cache: what `distill --standardize-targets`
/// divides by, so that teachers of different scales weigh alike in the loss (UNIC, Theia).
///
/// Written once, when the teacher is complete, as the attributes `feature_mean`, `feature_std` and
/// `feature_stats_rows` of `/teachers/<name>` (docs/cache-format.md, "Feature statistics"). The values are those a
/// reader gets: float16 widened exactly, int8 as `code * scale` in float32; every token of every done row counts.
public struct FeatureStatistics: Equatable, Sendable {
    /// Per-channel mean, `[D]`.
    public var mean: [Float]
    /// Per-channel population standard deviation (divided by the number of tokens, not one less), `[D]`.
    public var std: [Float]
    /// Rows counted; each contributes its L tokens.
    public var rows: Int

    public init(mean: [Float], std: [Float], rows: Int) {
        self.mean = mean
        self.std = std
        self.rows = rows
    }
}

/// Running per-channel mean and sum of squared deviations, in Double.
///
/// Each row's own mean and squared deviations are computed first (two passes over its L tokens), then merged into
/// the running values with Chan, Golub and LeVeque's pairwise update. Unlike a sum of squares minus the squared
/// sum, this loses nothing when a channel's mean is large against its spread (ViTs have such channels), and the
/// result depends only on the values and the row order, so that two caches holding the same rows (a resumed
/// extraction and an uninterrupted one, a merge and a single process) get the same bits.
struct FeatureMoments {
    let width: Int
    private(set) var rows = 0
    private var tokens = 0
    private var mean: [Double]
    private var squares: [Double]
    private var rowMean: [Double]
    private var rowSquares: [Double]

    init(width: Int) {
        self.width = width
        mean = [Double](repeating: 0, count: width)
        squares = mean
        rowMean = mean
        rowSquares = mean
    }

    /// Adds one row, `[L, D]` row-major, with L = `values.count / width`.
    mutating func add(row values: UnsafeBufferPointer<Float>) {
        precondition(values.count % width == 0 && !values.isEmpty, "a row of \(values.count) values is not [L, \(width)]")
        let count = values.count / width
        for c in 0..<width { rowMean[c] = 0 }
        for n in 0..<count { for c in 0..<width { rowMean[c] += Double(values[n * width + c]) } }
        for c in 0..<width {
            rowMean[c] /= Double(count)
            rowSquares[c] = 0
        }
        for n in 0..<count {
            for c in 0..<width {
                let d = Double(values[n * width + c]) - rowMean[c]
                rowSquares[c] += d * d
            }
        }
        let (a, b) = (Double(tokens), Double(count))
        let total = a + b
        for c in 0..<width {
            let delta = rowMean[c] - mean[c]
            mean[c] += delta * (b / total)
            squares[c] += rowSquares[c] + delta * delta * (a * b / total)
        }
        tokens += count
        rows += 1
    }

    /// The statistics so far; nil before the first row.
    var statistics: FeatureStatistics? {
        guard tokens > 0 else { return nil }
        return FeatureStatistics(
            mean: mean.map { Float($0) }, std: squares.map { Float(($0 / Double(tokens)).squareRoot()) }, rows: rows)
    }
}

extension CacheNames {
    static let featureMean = "feature_mean", featureStd = "feature_std", featureStatsRows = "feature_stats_rows"
}

extension CacheFile {
    /// Whether a teacher is complete, from `/videos/status` and its `done` flags (local indices): no video is
    /// pending, and every row of every ok video is done. Failed videos are final and need no rows.
    static func isComplete(status: [UInt8], done: [UInt8], rowsPerVideo: Int) -> Bool {
        status.indices.allSatisfy { video in
            switch VideoStatus(rawValue: status[video]) ?? .pending {
            case .pending: return false
            case .failed: return true
            case .ok: return done[(video * rowsPerVideo)..<((video + 1) * rowsPerVideo)].allSatisfy { $0 == 1 }
            }
        }
    }

    /// Whether teacher `t` is complete in this file (see `isComplete(status:done:rowsPerVideo:)`).
    func isComplete(_ t: TeacherDatasets) throws -> Bool {
        CacheFile.isComplete(
            status: try videoStatus.readAll(as: UInt8.self), done: try t.done.readAll(as: UInt8.self),
            rowsPerVideo: attributes.viewsPerVideo)
    }

    /// The statistics of teacher `t` over the rows whose `done` flag is 1, in row order; nil when no row is done.
    /// Refuses values that give a non-finite mean or spread (a damaged row), since training would divide by them.
    func computeStatistics(_ t: TeacherDatasets) throws -> FeatureStatistics? {
        let done = try t.done.readAll(as: UInt8.self)
        var moments = FeatureMoments(width: t.spec.embedDim)
        var buffer = [Float](repeating: 0, count: t.spec.rowElements)
        for row in done.indices where done[row] == 1 {
            try buffer.withUnsafeMutableBufferPointer { try readFeatures(row: row, t, into: $0) }
            buffer.withUnsafeBufferPointer { moments.add(row: $0) }
        }
        guard let statistics = moments.statistics else { return nil }
        if let c = statistics.mean.indices.first(where: { !statistics.mean[$0].isFinite || !statistics.std[$0].isFinite }) {
            throw FeatureStoreError(
                .notACache,
                "\(url.lastPathComponent): the features of teacher \"\(t.spec.name)\" give channel \(c) a mean of "
                    + "\(statistics.mean[c]) and a standard deviation of \(statistics.std[c]); some done row holds "
                    + "values that are not finite or too large. The file is damaged: extract this teacher again.")
        }
        return statistics
    }

    /// Whether `/teachers/<name>` carries statistics (all three attributes; a partial set counts as none).
    func hasStatistics(_ t: TeacherDatasets) throws -> Bool {
        let group = try file.openGroup("teachers").openGroup(t.spec.name)
        return [CacheNames.featureMean, CacheNames.featureStd, CacheNames.featureStatsRows].allSatisfy(group.hasAttribute)
    }

    /// The stored statistics of teacher `t`, or nil when the group has none (a cache written before they existed,
    /// a teacher that is not complete, a shard file). Refuses statistics that cannot be used: a length other than
    /// D, a mean or standard deviation that is not finite, a negative standard deviation, fewer than one row.
    func storedStatistics(_ t: TeacherDatasets) throws -> FeatureStatistics? {
        guard try hasStatistics(t) else { return nil }
        let group = try file.openGroup("teachers").openGroup(t.spec.name)
        let statistics = FeatureStatistics(
            mean: try group.float32ArrayAttribute(CacheNames.featureMean),
            std: try group.float32ArrayAttribute(CacheNames.featureStd),
            rows: try group.intAttribute(CacheNames.featureStatsRows))
        let width = t.spec.embedDim
        var problems: [String] = []
        if statistics.mean.count != width || statistics.std.count != width {
            problems.append("\(statistics.mean.count) means and \(statistics.std.count) deviations for \(width) channels")
        }
        if !statistics.mean.allSatisfy(\.isFinite) { problems.append("a mean that is not finite") }
        if !statistics.std.allSatisfy({ $0.isFinite && $0 >= 0 }) { problems.append("a deviation that is negative or not finite") }
        if statistics.rows < 1 || statistics.rows > rowCount { problems.append("\(statistics.rows) rows counted of \(rowCount)") }
        guard problems.isEmpty else {
            throw FeatureStoreError(
                .notACache,
                "\(url.lastPathComponent): the feature statistics of teacher \"\(t.spec.name)\" hold "
                    + "\(problems.joined(separator: ", ")). The file is damaged: delete it and run extract-features again.")
        }
        return statistics
    }

    /// Stores `statistics` as attributes of `/teachers/<name>`. Adding attributes changes HDF5 metadata, so callers
    /// do this only on a file that is not yet in place (a merge's temporary file, or the copy made by
    /// `AtomicFile.replace(_:keepingOriginal: true)`), never on a cache a crash could leave half edited.
    func writeStatistics(_ statistics: FeatureStatistics, teacher name: String) throws {
        let group = try file.openGroup("teachers").openGroup(name)
        for attribute in [CacheNames.featureMean, CacheNames.featureStd, CacheNames.featureStatsRows]
        where group.hasAttribute(attribute) {
            try group.removeAttribute(attribute)
        }
        try group.setAttribute(CacheNames.featureMean, float32: statistics.mean)
        try group.setAttribute(CacheNames.featureStd, float32: statistics.std)
        try group.setAttribute(CacheNames.featureStatsRows, statistics.rows)
    }
}
