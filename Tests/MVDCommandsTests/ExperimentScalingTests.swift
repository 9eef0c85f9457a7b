import Foundation
import Testing

@testable import Evaluate
@testable import MVDCommands

/// The budget-scaling table: the four gaps per protocol and budget, with gated tasks shown as not testable.
@Suite struct ExperimentScalingTests {
    func comparison(
        _ a: String, _ b: String, _ task: String, _ proto: String, _ diffs: [Double], verdict: String? = nil
    )
        -> ExperimentComparison
    {
        let (mean, ci) = ExperimentSummary.interval(diffs)
        return ExperimentComparison(
            claim: "c", a: a, b: b, task: task, evaluationProtocol: proto, meanDifference: mean, ci95: ci, perSeed: diffs,
            verdict: verdict ?? "inconclusive")
    }

    @Test func gapsArePickedByRunsAndTaskAndGatedTasksAreNotTestable() throws {
        let budget1 = [
            comparison("student-both", "student-video", "motion", "probe", [-2, -3, -1]),
            comparison("student-both", "student-video", "appearance", "probe", [5, 5, 5]),  // not one of the gaps
            comparison("student-both", "student-pixels", "appearance", "probe", [1, 2, 3], verdict: LearnabilityGate.notTestable)
        ]
        let budget3 = [comparison("student-both", "student-video", "motion", "probe", [1, 0, 2])]
        let points =
            ExperimentScalingCommand.points(budget1, budget: 1) + ExperimentScalingCommand.points(budget3, budget: 3)
        #expect(points.count == 3)
        #expect(points.map(\.meanDifference) == [-2, 2, 1])
        #expect(points.map(\.gap) == ["MVD − video-taught, motion", "MVD − pixels, appearance", "MVD − video-taught, motion"])
        let md = ExperimentScalingCommand.markdown(points)
        let row = try #require(md.split(separator: "\n").first { $0.hasPrefix("| MVD − video-taught, motion") })
        #expect(row.contains("| -2.0 [") && row.contains("(n 3) | +1.0 ["), "\(row)")
        #expect(md.contains("| MVD − pixels, appearance | not testable | — |"), "\(md)")
    }
}
