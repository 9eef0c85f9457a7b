import Foundation

/// Whether a task's comparisons can mean anything: the labels must be learnable and the teachers must know something.
///
/// The rule (docs/experiment/README.md, "The learnability gate"): a task is *testable* when
/// 1. supervised training from scratch (fine-tuned, multi-view test) has the lower end of its 95% interval over seeds
///    (its mean, with one seed) at least `margin` points above the untrained encoder's upper end, and
/// 2. the transfer teacher (trained with labels; one per teacher set, so its margin stands in for an interval) is at
///    least `margin` points above the same upper end,
/// where the untrained encoder's upper end is the highest of its probe and k-NN intervals' upper ends (means, with one
/// seed): what an encoder that learnt nothing already reaches on that task.
///
/// Why: the students lie between what an untrained encoder gives and what labels can teach. When that range is not
/// clearly wider than the noise of one measurement, every difference between students is noise, whatever its
/// interval says. A task that fails the gate gets no verdict: its comparisons are "not testable" and the transfer check
/// is not called passed.
public struct LearnabilityGate: Codable, Equatable, Sendable {
    public var task: String
    public var testable: Bool
    public var chance: Double
    /// The untrained encoder's upper end (best protocol), the supervised run's lower end, the transfer teacher's
    /// best frozen accuracy; nil where the run was not measured.
    public var untrained: Double?
    public var supervised: Double?
    public var teacher: Double?
    /// One sentence with the numbers; for a task that is not testable, also what to try.
    public var reason: String

    /// Points by which supervised training and the transfer teacher must clear the untrained encoder: the size of
    /// the widest student intervals of a well-powered run (±2-3 points), with room to spare.
    public static let margin = 5.0

    public static let untrainedRun = "untrained", supervisedRun = "supervised", teacherRun = "transfer-teacher"

    public static func evaluate(task: String, rows: [ExperimentRow], chance: Double) -> LearnabilityGate {
        let ofTask = rows.filter { $0.task == task }
        let untrained = ofTask.filter { $0.run == untrainedRun && $0.evaluationProtocol != "finetune" }
            .map { $0.ci95?[1] ?? $0.mean }.max()
        let supervisedRow = ofTask.first { $0.run == supervisedRun && $0.evaluationProtocol == "finetune" }
        let supervised = supervisedRow.map { $0.ci95?[0] ?? $0.mean }
        let teacher = ofTask.filter { $0.run == teacherRun && $0.evaluationProtocol != "finetune" }.map(\.mean).max()
        let advice = "try more labelled videos, a higher --input-size or more --budget"
        func f(_ x: Double) -> String { String(format: "%.1f", x) }

        var gate = LearnabilityGate(
            task: task, testable: false, chance: chance, untrained: untrained, supervised: supervised, teacher: teacher, reason: "")
        guard let untrained else {
            gate.reason = "the untrained encoder was not measured on \(task), so nothing tells learnt from given"
            return gate
        }
        guard let supervised, let supervisedRow else {
            gate.reason = "no supervised run from scratch was measured on \(task), so it is unknown whether its labels can be learnt"
            return gate
        }
        let supervisedText =
            supervisedRow.ci95 == nil
            ? "\(f(supervised)) (one seed)" : "\(f(supervisedRow.mean)) (interval from \(f(supervised)))"
        let baseline = "the untrained encoder may reach (\(f(untrained)), the upper end of its interval; chance \(f(chance)))"
        if supervised - untrained < margin {
            gate.reason =
                "\(task) is not learnable at this scale: supervised training from scratch reaches \(supervisedText), "
                + "less than \(f(margin)) points above what \(baseline); \(advice)"
            return gate
        }
        guard let teacher else {
            gate.reason = "no transfer teacher was measured on \(task): without a teacher that knows the task the students cannot be told apart"
            return gate
        }
        if teacher - untrained < margin {
            gate.reason =
                "the teacher trained with labels knows little of \(task): it reaches \(f(teacher)), less than "
                + "\(f(margin)) points above what \(baseline) (supervised from scratch: \(supervisedText)); \(advice)"
            return gate
        }
        gate.testable = true
        gate.reason =
            "\(task) is learnable: supervised from scratch \(supervisedText) and the transfer teacher \(f(teacher)) against "
            + "\(f(untrained)) for the untrained encoder (chance \(f(chance)))"
        return gate
    }

    /// `comparisons` with the verdict of every comparison on a task that is not testable replaced by "not testable".
    public static func apply(_ gates: [LearnabilityGate], to comparisons: [ExperimentComparison]) -> [ExperimentComparison] {
        let untestable = Set(gates.filter { !$0.testable }.map(\.task))
        return comparisons.map { c in
            var c = c
            if untestable.contains(c.task) { c.verdict = notTestable }
            return c
        }
    }

    public static let notTestable = "not testable"
}
