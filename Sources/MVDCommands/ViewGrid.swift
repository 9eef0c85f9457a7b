import ArgumentParser

/// `--test-views TxS`: temporal clips × spatial crops of the multi-view test. Their ranges are checked with the
/// rest of the fine-tuning settings.
struct ViewGrid: Equatable {
    var temporal: Int
    var spatial: Int

    /// Parses "2x3"; anything else is refused with the form it must have.
    init(parsing text: String) throws {
        let fields = text.split(separator: "x", omittingEmptySubsequences: false)
        let counts = fields.compactMap { Int($0) }
        guard fields.count == 2, counts.count == 2 else {
            throw ValidationError("must look like 2x3 (temporal x spatial), got \(text)")
        }
        temporal = counts[0]
        spatial = counts[1]
    }
}
