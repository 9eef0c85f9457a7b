import Foundation
import Tensor

/// Settings of the weighted k-nearest-neighbour classifier.
public struct KNNConfiguration: Codable, Equatable, Sendable {
    /// Neighbours that vote (clamped to the number of training rows). Default 20.
    public var k: Int
    /// Vote weight temperature τ: a neighbour with cosine similarity s votes exp(s / τ). Default 0.07.
    public var temperature: Double
    /// Validation rows scored per pass (memory is chunkRows × train rows floats), rounded up to a multiple of
    /// `KNNClassifier.queryBlock`. It bounds memory only: scores are the same for every value. Default 256.
    public var chunkRows: Int
    /// L2-normalise train and val rows first (a no-op for features that are already unit length). Default true.
    public var normalize: Bool

    public init(k: Int = 20, temperature: Double = 0.07, chunkRows: Int = 256, normalize: Bool = true) {
        self.k = k
        self.temperature = temperature
        self.chunkRows = chunkRows
        self.normalize = normalize
    }

    func validate() throws {
        guard k >= 1 else { throw EvaluateError.invalidSetting(name: "k", value: "\(k)", expected: "k >= 1") }
        guard temperature > 0, temperature.isFinite else {
            throw EvaluateError.invalidSetting(name: "temperature", value: "\(temperature)", expected: "a positive number such as 0.07")
        }
        guard chunkRows >= 1 else {
            throw EvaluateError.invalidSetting(name: "chunkRows", value: "\(chunkRows)", expected: "at least 1")
        }
    }
}

/// Weighted k-NN on frozen features (the InstDisc / DINO protocol).
///
/// For each query row: cosine similarity to every training row (fixed-shape blocks of matrix products),
/// the k most similar training rows (ties go to the smaller training index), and for each class the sum of
/// exp(similarity / τ) over the neighbours with that label. The class scores rank the predictions.
public struct KNNClassifier: Sendable {
    public let configuration: KNNConfiguration
    public let classCount: Int
    /// [Ntr, D] training features (unit rows when `normalize` is on).
    public let trainFeatures: Tensor
    public let trainLabels: [Int]

    public init(
        trainFeatures: Tensor, trainLabels: [Int], classCount: Int,
        configuration: KNNConfiguration = KNNConfiguration()
    ) throws {
        try configuration.validate()
        let (rows, _) = try FeatureChecks.matrix(trainFeatures, "train")
        try FeatureChecks.labels(trainLabels, rows: rows, classCount: classCount, "train labels")
        self.configuration = configuration
        self.classCount = classCount
        self.trainFeatures = configuration.normalize ? l2NormalizedRows(trainFeatures) : trainFeatures
        self.trainLabels = trainLabels
    }

    /// Effective neighbour count: k clamped to the number of training rows.
    public var neighbourCount: Int { min(configuration.k, trainLabels.count) }

    /// Query rows and training rows per similarity product.
    ///
    /// OpenBLAS sums a dot product in an order that depends on the product's shape and on the element's place
    /// in it (the Haswell kernels, for one, treat edge rows and columns with other code than full tiles), so a
    /// similarity computed in a [7, Ntr] product can differ in the last bit from the same one in a [70, Ntr]
    /// product, and the k-th neighbour can change with it. Every product here is one query block (zero-padded
    /// at the end) against one training block, at offsets that are multiples of the block sizes, so each
    /// similarity comes from the same call at the same place whatever `chunkRows` and the thread count are.
    public static let queryBlock = 64, trainBlock = 512

    /// Class scores [Nva, K] of `features` [Nva, D].
    public func scores(for features: Tensor) throws -> Tensor {
        let (rows, d) = try FeatureChecks.matrix(features, "val", columns: trainFeatures.shape[1])
        let queries = configuration.normalize ? l2NormalizedRows(features) : features
        let passRows = (configuration.chunkRows + Self.queryBlock - 1) / Self.queryBlock * Self.queryBlock
        var scores = Tensor(shape: [rows, classCount])
        var start = 0
        while start < rows {
            let count = min(passRows, rows - start)
            let similarity = blockSimilarity(queries.storage[(start * d)..<((start + count) * d)], dimensions: d)
            vote(similarity, rows: count, into: &scores, firstRow: start)
            start += count
        }
        return scores
    }

    /// Cosine similarities [blocks × queryBlock, Ntr] of `rows` (count × D, padded here with zero rows to whole
    /// query blocks) against every training row, one fixed-shape single-threaded product per pair of blocks.
    private func blockSimilarity(_ rows: ArraySlice<Float>, dimensions d: Int) -> Tensor {
        let train = trainFeatures.shape[0], count = rows.count / d
        let queryBlocks = (count + Self.queryBlock - 1) / Self.queryBlock
        let trainBlocks = (train + Self.trainBlock - 1) / Self.trainBlock
        var padded = [Float](repeating: 0, count: queryBlocks * Self.queryBlock * d)
        padded.replaceSubrange(0..<rows.count, with: rows)
        var similarity = Tensor(shape: [queryBlocks * Self.queryBlock, train])
        padded.withUnsafeBufferPointer { q in
            trainFeatures.withUnsafeBufferPointer { t in
                similarity.withUnsafeMutableBufferPointer { out in
                    let (q, t, out) = (q.baseAddress!, t.baseAddress!, out.baseAddress!)
                    parallelBlocks(queryBlocks * trainBlocks) { block in
                        let (qb, tb) = block.quotientAndRemainder(dividingBy: trainBlocks)
                        let (row, column) = (qb * Self.queryBlock, tb * Self.trainBlock)
                        gemm(
                            transB: true, m: Self.queryBlock, n: min(Self.trainBlock, train - column), k: d,
                            a: q + row * d, lda: d, b: t + column * d, ldb: d,
                            c: out + row * train + column, ldc: train, threads: 1,
                            precision: .fp32)  // similarities decide neighbours: keep them exact whatever the model ran in
                    }
                }
            }
        }
        return similarity
    }

    /// The `neighbourCount` most similar training rows of each similarity row, most similar first.
    public func neighbours(similarityRow row: ArraySlice<Float>) -> [(index: Int, similarity: Float)] {
        let k = neighbourCount, base = row.startIndex
        var best: [(index: Int, similarity: Float)] = []
        best.reserveCapacity(k + 1)
        for j in 0..<row.count {
            let s = row[base + j]
            if best.count == k, let last = best.last, !(s > last.similarity) { continue }
            var position = best.count
            while position > 0, s > best[position - 1].similarity { position -= 1 }
            best.insert((j, s), at: position)
            if best.count > k { best.removeLast() }
        }
        return best
    }

    /// Adds the votes of the first `count` similarity rows into `scores` rows `firstRow...`.
    private func vote(_ similarity: Tensor, rows count: Int, into scores: inout Tensor, firstRow: Int) {
        let train = similarity.shape[1]
        let classes = classCount, inverseTau = 1 / configuration.temperature
        scores.withUnsafeMutableBufferPointer { out in
            let base = out.baseAddress!
            parallelRanges(count, grain: max(1, 65_536 / max(1, train))) { range in
                for r in range {
                    let row = similarity.storage[(r * train)..<((r + 1) * train)]
                    var totals = [Double](repeating: 0, count: classes)
                    for n in neighbours(similarityRow: row) {
                        totals[trainLabels[n.index]] += Foundation.exp(Double(n.similarity) * inverseTau)
                    }
                    for c in 0..<classes { base[(firstRow + r) * classes + c] = Float(totals[c]) }
                }
            }
        }
    }
}
