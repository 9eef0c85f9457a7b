import Tensor

/// Feature sets with known difficulty, drawn from a seeded generator.
enum SyntheticFeatures {
    /// Rows near class-specific one-hot directions: row i has label i % classes and features
    /// e_label + noise · N(0, 1) in `dimensions` ≥ classes dimensions. Perfectly separable for small noise.
    static func separable(
        rows: Int, classes: Int, dimensions: Int, noise: Float,
        using rng: inout SplitMix64
    ) -> (Tensor, [Int]) {
        precondition(dimensions >= classes)
        let labels = (0..<rows).map { $0 % classes }
        var x = Tensor(shape: [rows, dimensions])
        for r in 0..<rows {
            for j in 0..<dimensions { x.storage[r * dimensions + j] = noise * rng.nextNormal() }
            x.storage[r * dimensions + labels[r]] += 1
        }
        return (x, labels)
    }

    /// A training and a validation set drawn by `separable` from one generator seeded with `seed`.
    static func separableSplit(
        train: Int, val: Int, classes: Int, dimensions: Int, seed: UInt64
    )
        -> (train: Tensor, trainLabels: [Int], val: Tensor, valLabels: [Int])
    {
        var rng = SplitMix64(seed: seed)
        let (x, y) = separable(rows: train, classes: classes, dimensions: dimensions, noise: 0.1, using: &rng)
        let (v, w) = separable(rows: val, classes: classes, dimensions: dimensions, noise: 0.1, using: &rng)
        return (x, y, v, w)
    }

    /// Gaussian features with labels drawn independently of them: no method can beat chance on held-out rows.
    static func random(rows: Int, classes: Int, dimensions: Int, using rng: inout SplitMix64) -> (Tensor, [Int]) {
        let x = Tensor(shape: [rows, dimensions], (0..<(rows * dimensions)).map { _ in rng.nextNormal() })
        let labels = (0..<rows).map { _ in Int(rng.next() % UInt64(classes)) }
        return (x, labels)
    }
}
