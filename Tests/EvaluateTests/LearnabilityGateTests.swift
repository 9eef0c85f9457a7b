import XCTest

@testable import Evaluate

/// The learnability gate: no verdict on a task whose labels are not learnt clearly above an untrained encoder.
final class LearnabilityGateTests: XCTestCase {
    /// Measurements of `run` on `task` under `proto`, one per seed.
    func m(_ run: String, _ task: String, _ proto: String, _ values: [Double]) -> [ExperimentMeasurement] {
        values.enumerated().map { ExperimentMeasurement(run: run, task: task, evaluationProtocol: proto, seed: $0.offset + 1, top1: $0.element) }
    }

    /// A fabricated experiment: `motion` at chance (supervised 26-31, untrained 24-27), `appearance` learnable.
    var measurements: [ExperimentMeasurement] {
        m("untrained", "appearance", "probe", [40, 41, 42]) + m("untrained", "appearance", "knn", [26, 27, 25])
            + m("supervised", "appearance", "finetune", [63, 64, 62]) + m("transfer-teacher", "appearance", "probe", [65])
            + m("untrained", "motion", "probe", [26, 27, 24]) + m("untrained", "motion", "knn", [25, 25, 24])
            + m("supervised", "motion", "finetune", [31, 26, 29]) + m("transfer-teacher", "motion", "probe", [35])
            + m("student-both", "appearance", "probe", [59, 60, 58]) + m("student-pixels", "appearance", "probe", [50, 51, 52])
            + m("student-both", "motion", "probe", [40, 41, 42]) + m("student-pixels", "motion", "probe", [30, 31, 29])
    }

    func testATaskAtChanceIsNotTestableAndItsVerdictsSaySo() throws {
        let rows = ExperimentSummary.rows(measurements)
        let gates = ["appearance", "motion"].map { LearnabilityGate.evaluate(task: $0, rows: rows, chance: 25) }
        XCTAssertTrue(gates[0].testable, gates[0].reason)
        XCTAssertFalse(gates[1].testable)
        XCTAssertTrue(gates[1].reason.contains("not learnable"), gates[1].reason)
        XCTAssertTrue(gates[1].reason.contains("--input-size"), "says what to try: \(gates[1].reason)")

        // Both comparisons "hold" by their intervals; only the learnable task keeps its verdict.
        let raw = ["appearance", "motion"].compactMap {
            ExperimentSummary.compare(claim: "c", a: "student-both", b: "student-pixels", task: $0, evaluationProtocol: "probe", in: measurements)
        }
        XCTAssertEqual(raw.map(\.verdict), ["holds", "holds"])
        let gated = LearnabilityGate.apply(gates, to: raw)
        XCTAssertEqual(gated.map(\.verdict), ["holds", "not testable"])
    }

    func testTheUntrainedEncodersUpperEndIsTheBarAcrossProtocols() throws {
        // Supervised 47 [46, 48] clears the probe's mean (40) by 6 but the upper end of the untrained interval only
        // by less than the margin: 42 + 4.303 · 1 / √3 · … — here untrained 41, 42, 43: upper end 44.5.
        let m =
            m("untrained", "a", "probe", [41, 42, 43]) + m("supervised", "a", "finetune", [48, 49, 50])
            + m("transfer-teacher", "a", "probe", [80])
        let gate = LearnabilityGate.evaluate(task: "a", rows: ExperimentSummary.rows(m), chance: 25)
        let upper = try XCTUnwrap(gate.untrained), lower = try XCTUnwrap(gate.supervised)
        XCTAssertEqual(upper, 42 + 4.303 / 3.0.squareRoot(), accuracy: 1e-9)
        XCTAssertEqual(lower, 49 - 4.303 / 3.0.squareRoot(), accuracy: 1e-9)
        XCTAssertFalse(gate.testable, "a gap of \(lower - upper) points is less than the margin")
    }

    func testAWeakTeacherOrAMissingRunIsNotTestable() {
        let weakTeacher =
            m("untrained", "a", "probe", [30, 31, 29]) + m("supervised", "a", "finetune", [60, 61, 62])
            + m("transfer-teacher", "a", "probe", [34])
        let gate = LearnabilityGate.evaluate(task: "a", rows: ExperimentSummary.rows(weakTeacher), chance: 25)
        XCTAssertFalse(gate.testable)
        XCTAssertTrue(gate.reason.contains("teacher trained with labels knows little"), gate.reason)

        let noSupervised = m("untrained", "a", "probe", [30, 31, 29]) + m("transfer-teacher", "a", "probe", [80])
        XCTAssertFalse(LearnabilityGate.evaluate(task: "a", rows: ExperimentSummary.rows(noSupervised), chance: 25).testable)
        let learnable = weakTeacher.filter { $0.run != "transfer-teacher" } + m("transfer-teacher", "a", "probe", [70])
        XCTAssertTrue(LearnabilityGate.evaluate(task: "a", rows: ExperimentSummary.rows(learnable), chance: 25).testable)
    }
}
