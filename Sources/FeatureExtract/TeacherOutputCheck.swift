/// Whether a teacher's output row can be stored as a training target.
///
/// A NaN or infinity means a corrupt or diverged teacher; a finite value beyond float16's range would be
/// stored as infinity in a float16 cache. Either way the row is not a target, and storing it as done would
/// pass the problem on to `distill`, where it looks like a training instability.
enum TeacherOutputCheck {
    /// The smallest magnitude that float16 rounds to infinity: 65504 is the largest finite float16, and
    /// round-to-nearest-even sends everything from halfway to the next step (65504 + 16) upwards.
    static let float16Overflow: Float = 65520

    /// Why `row` ([L, D] row-major, D = `channels`) cannot be stored, naming the first bad element; nil when it can.
    static func problem(in row: UnsafeBufferPointer<Float>, channels: Int, float16: Bool) -> String? {
        let limit = float16 ? float16Overflow : .infinity
        // NaN fails every comparison, so one test finds NaN, infinities and float16 overflows.
        guard let index = row.firstIndex(where: { !(abs($0) < limit) }) else { return nil }
        let value = row[index]
        let (token, channel) = index.quotientAndRemainder(dividingBy: channels)
        if !value.isFinite {
            let shown = value.isNaN ? "NaN" : value > 0 ? "+infinity" : "-infinity"
            return "teacher output is not finite (\(shown) at token \(token), channel \(channel)); "
                + "check the teacher checkpoint and the model config it is loaded with"
        }
        return "teacher output overflows float16 (\(value) at token \(token), channel \(channel), beyond ±65504) "
            + "and would be stored as infinity; extract with --dtype float32"
    }
}
