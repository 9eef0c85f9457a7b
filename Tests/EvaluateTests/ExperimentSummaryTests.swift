import XCTest

@testable import Evaluate

/// Means, Student-t intervals and paired comparisons of the experiment summary, against hand computation.
final class ExperimentSummaryTests: XCTestCase {
    func testIntervalIsMeanPlusMinusTTimesStandardError() throws {
        // values 40, 44, 48: mean 44, s = 4, s/√3 = 2.3094, t(0.975, 2) = 4.303 → half-width 9.937
        let (mean, ci) = ExperimentSummary.interval([40, 44, 48])
        XCTAssertEqual(mean, 44, accuracy: 1e-12)
        let interval = try XCTUnwrap(ci)
        XCTAssertEqual(interval[0], 44 - 4.303 * 4 / 3.0.squareRoot(), accuracy: 1e-9)
        XCTAssertEqual(interval[1], 44 + 4.303 * 4 / 3.0.squareRoot(), accuracy: 1e-9)
        XCTAssertNil(ExperimentSummary.interval([50]).ci95, "one seed has no spread to estimate")
    }

    func testRowsGroupByRunTaskAndProtocolInFirstSeenOrder() {
        let m = [
            ExperimentMeasurement(run: "b", task: "motion", evaluationProtocol: "probe", seed: 2, top1: 30),
            ExperimentMeasurement(run: "a", task: "motion", evaluationProtocol: "probe", seed: 1, top1: 10),
            ExperimentMeasurement(run: "b", task: "motion", evaluationProtocol: "probe", seed: 1, top1: 20)
        ]
        let rows = ExperimentSummary.rows(m)
        XCTAssertEqual(rows.map(\.run), ["b", "a"])
        XCTAssertEqual(rows[0].perSeed, [20, 30], "seeds sorted")
        XCTAssertEqual(rows[0].seeds, [1, 2])
        XCTAssertEqual(rows[0].mean, 25)
    }

    func testMarkdownTableSaysHowManySeedsEachRunHas() {
        let m = [
            ExperimentMeasurement(run: "teacher", task: "motion", evaluationProtocol: "probe", seed: 1, top1: 90),
            ExperimentMeasurement(run: "student", task: "motion", evaluationProtocol: "probe", seed: 1, top1: 40),
            ExperimentMeasurement(run: "student", task: "motion", evaluationProtocol: "probe", seed: 2, top1: 44),
            ExperimentMeasurement(run: "student", task: "motion", evaluationProtocol: "knn", seed: 1, top1: 30)
        ]
        let lines = ExperimentSummary.markdown(ExperimentSummary.rows(m)).split(separator: "\n").map(String.init)
        XCTAssertEqual(lines[0], "| run | n | motion knn | motion probe |")
        XCTAssertEqual(lines[2], "| teacher | 1 | — | 90.0 |")
        XCTAssertTrue(lines[3].hasPrefix("| student | 2 | 30.0 | 42.0 ["), lines[3])
    }

    func testPairedComparisonUsesSharedSeedsAndGivesAVerdict() throws {
        // a has seeds 1-4, b only 1-3: seed 4 must be ignored.
        var m = [(1, 50.0, 40.0), (2, 52.0, 41.0), (3, 49.0, 40.0)].flatMap { seed, a, b in
            [
                ExperimentMeasurement(run: "a", task: "t", evaluationProtocol: "probe", seed: seed, top1: a),
                ExperimentMeasurement(run: "b", task: "t", evaluationProtocol: "probe", seed: seed, top1: b)
            ]
        }
        m.append(ExperimentMeasurement(run: "a", task: "t", evaluationProtocol: "probe", seed: 4, top1: 70))
        let c = try XCTUnwrap(ExperimentSummary.compare(claim: "a beats b", a: "a", b: "b", task: "t", evaluationProtocol: "probe", in: m))
        XCTAssertEqual(c.perSeed, [10, 11, 9], "only seeds both runs have")
        XCTAssertEqual(c.meanDifference, 10, accuracy: 1e-12)
        XCTAssertEqual(c.verdict, "holds")
        let reversed = try XCTUnwrap(ExperimentSummary.compare(claim: "b beats a", a: "b", b: "a", task: "t", evaluationProtocol: "probe", in: m))
        XCTAssertEqual(reversed.verdict, "fails")
        XCTAssertNil(ExperimentSummary.compare(claim: "x", a: "a", b: "missing", task: "t", evaluationProtocol: "probe", in: m))
    }

    func testNoisyDifferenceIsInconclusive() throws {
        let m = [(1, 50.0, 45.0), (2, 40.0, 46.0), (3, 52.0, 47.0)].flatMap { seed, a, b in
            [
                ExperimentMeasurement(run: "a", task: "t", evaluationProtocol: "knn", seed: seed, top1: a),
                ExperimentMeasurement(run: "b", task: "t", evaluationProtocol: "knn", seed: seed, top1: b)
            ]
        }
        let c = try XCTUnwrap(ExperimentSummary.compare(claim: "c", a: "a", b: "b", task: "t", evaluationProtocol: "knn", in: m))
        XCTAssertEqual(c.verdict, "inconclusive")
    }

    func testRetainedShareAboveChanceAndNothingFromATeacherAtChance() throws {
        // teacher 65, student 57, chance 25: (57 − 25) / (65 − 25) = 0.8
        XCTAssertEqual(try XCTUnwrap(ExperimentSummary.retained(teacher: 65, student: 57, chance: 25)), 0.8, accuracy: 1e-12)
        // a teacher 0.1 points above chance: no ratio (it would be a huge number made of noise)
        XCTAssertNil(ExperimentSummary.retained(teacher: 16.8, student: 17.2, chance: 16.7))
    }
}
