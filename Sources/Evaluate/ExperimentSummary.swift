import Foundation

/// One accuracy of one run, task, protocol and seed (a percentage).
public struct ExperimentMeasurement: Codable, Equatable, Sendable {
    public var run: String
    public var task: String
    public var evaluationProtocol: String
    public var seed: Int
    public var top1: Double

    public init(run: String, task: String, evaluationProtocol: String, seed: Int, top1: Double) {
        self.run = run
        self.task = task
        self.evaluationProtocol = evaluationProtocol
        self.seed = seed
        self.top1 = top1
    }
}

/// The mean over seeds of one (run, task, protocol), with its 95% confidence interval.
public struct ExperimentRow: Codable, Equatable, Sendable {
    public var run: String
    public var task: String
    public var evaluationProtocol: String
    public var mean: Double
    /// Student-t interval of the mean over seeds; nil with a single seed (no spread to estimate).
    public var ci95: [Double]?
    public var perSeed: [Double]
    public var seeds: [Int]

    enum CodingKeys: String, CodingKey {
        case run, task, evaluationProtocol = "protocol", mean, ci95, perSeed = "per_seed", seeds
    }
}

/// A claim tested as the difference `a − b` of two runs on one task and protocol, paired by seed (both runs of a
/// seed share its data order and initialisation seed), with the 95% interval of the mean difference.
public struct ExperimentComparison: Codable, Equatable, Sendable {
    public var claim: String
    public var a: String
    public var b: String
    public var task: String
    public var evaluationProtocol: String
    public var meanDifference: Double
    public var ci95: [Double]?
    public var perSeed: [Double]
    /// "holds" when the whole interval is above 0, "fails" when it is below, "inconclusive" otherwise (or with one
    /// seed), and "not testable" when the task did not pass the learnability gate (`LearnabilityGate`).
    public var verdict: String

    enum CodingKeys: String, CodingKey {
        case claim, a, b, task, evaluationProtocol = "protocol", meanDifference = "mean_difference", ci95,
            perSeed = "per_seed", verdict
    }
}

public enum ExperimentSummary {
    /// Two-sided 95% Student-t quantiles by degrees of freedom (1…30); larger samples use 1.96.
    static let t95: [Double] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179,
        2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064,
        2.060, 2.056, 2.052, 2.048, 2.045, 2.042
    ]

    /// Mean and 95% interval (mean ± t · s / √n) of `values`; no interval for fewer than two values.
    public static func interval(_ values: [Double]) -> (mean: Double, ci95: [Double]?) {
        let n = values.count
        guard n > 0 else { return (.nan, nil) }
        let mean = values.reduce(0, +) / Double(n)
        guard n > 1 else { return (mean, nil) }
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n - 1)
        let half = (n - 1 <= t95.count ? t95[n - 2] : 1.96) * (variance / Double(n)).squareRoot()
        return (mean, [mean - half, mean + half])
    }

    /// One row per (run, task, protocol), in the order the runs first appear; seeds sorted.
    public static func rows(_ measurements: [ExperimentMeasurement]) -> [ExperimentRow] {
        var order: [String] = []
        var groups: [String: [ExperimentMeasurement]] = [:]
        for m in measurements {
            let key = "\(m.run)\u{0}\(m.task)\u{0}\(m.evaluationProtocol)"
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(m)
        }
        return order.map { key in
            let group = groups[key]!.sorted { $0.seed < $1.seed }
            let (mean, ci) = interval(group.map(\.top1))
            let first = group[0]
            return ExperimentRow(
                run: first.run, task: first.task, evaluationProtocol: first.evaluationProtocol, mean: mean,
                ci95: ci, perSeed: group.map(\.top1), seeds: group.map(\.seed))
        }
    }

    /// The paired difference `a − b` over the seeds both runs have, or nil when they share no seed.
    public static func compare(
        claim: String, a: String, b: String, task: String, evaluationProtocol: String,
        in measurements: [ExperimentMeasurement]
    ) -> ExperimentComparison? {
        func bySeed(_ run: String) -> [Int: Double] {
            Dictionary(
                measurements.filter { $0.run == run && $0.task == task && $0.evaluationProtocol == evaluationProtocol }
                    .map { ($0.seed, $0.top1) }, uniquingKeysWith: { first, _ in first })
        }
        let (ra, rb) = (bySeed(a), bySeed(b))
        let seeds = Set(ra.keys).intersection(rb.keys).sorted()
        guard !seeds.isEmpty else { return nil }
        let differences = seeds.map { ra[$0]! - rb[$0]! }
        let (mean, ci) = interval(differences)
        let verdict: String
        if let ci, ci[0] > 0 { verdict = "holds" } else if let ci, ci[1] < 0 { verdict = "fails" } else { verdict = "inconclusive" }
        return ExperimentComparison(
            claim: claim, a: a, b: b, task: task, evaluationProtocol: evaluationProtocol,
            meanDifference: mean, ci95: ci, perSeed: differences, verdict: verdict)
    }

    /// A Markdown table of `rows`: one line per run with its number of seeds (`n`, the most any of its cells has),
    /// one column per (task, protocol), "mean [lo, hi]".
    public static func markdown(_ rows: [ExperimentRow]) -> String {
        var runs: [String] = [], columns: [String] = []
        for r in rows {
            if !runs.contains(r.run) { runs.append(r.run) }
            let c = "\(r.task) \(r.evaluationProtocol)"
            if !columns.contains(c) { columns.append(c) }
        }
        columns.sort()
        var lines = [
            "| run | n | " + columns.joined(separator: " | ") + " |",
            "|---|---|" + String(repeating: "---|", count: columns.count)
        ]
        for run in runs {
            let cells = columns.map { c -> String in
                guard let r = rows.first(where: { $0.run == run && "\($0.task) \($0.evaluationProtocol)" == c }) else { return "—" }
                return cell(r.mean, r.ci95)
            }
            let n = rows.filter { $0.run == run }.map(\.seeds.count).max() ?? 0
            lines.append("| \(run) | \(n) | " + cells.joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A Markdown table of comparisons.
    public static func markdown(_ comparisons: [ExperimentComparison]) -> String {
        var lines = ["| claim | task | protocol | a − b (points) | verdict |", "|---|---|---|---|---|"]
        for c in comparisons {
            lines.append("| \(c.claim) | \(c.task) | \(c.evaluationProtocol) | \(cell(c.meanDifference, c.ci95, signed: true)) | \(c.verdict) |")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    public static func cell(_ mean: Double, _ ci: [Double]?, signed: Bool = false) -> String {
        let f = signed ? "%+.1f" : "%.1f"
        guard let ci else { return String(format: f, mean) }
        return String(format: "\(f) [\(f), \(f)]", mean, ci[0], ci[1])
    }

    /// Points above chance a teacher must reach before "how much of it the student keeps" means anything: with
    /// intervals of ±2-3 points on the student, a margin of 10 keeps the retained share's noise near ±25%.
    public static let minimumTeacherMargin = 10.0

    /// The share of what a teacher knows above chance that its student keeps: (student − chance) / (teacher − chance),
    /// or nil when the teacher is within `minimumTeacherMargin` points of chance and knows nothing to transfer.
    public static func retained(teacher: Double, student: Double, chance: Double) -> Double? {
        teacher - chance < minimumTeacherMargin ? nil : (student - chance) / (teacher - chance)
    }
}
