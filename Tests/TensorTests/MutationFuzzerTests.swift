import TestSupport
import XCTest

/// The fuzzer itself: the same seed gives the same inputs (so a failure can be replayed), and the iteration
/// bound is honoured.
final class MutationFuzzerTests: XCTestCase {
    func testSameSeedSameInputsAndMutationsChangeThem() {
        let seed: [UInt8] = Array("a manifest line 0\n".utf8)
        var a = MutationFuzzer(target: "self-test", seed: 7, corpus: [seed])
        var b = MutationFuzzer(target: "self-test", seed: 7, corpus: [seed])
        let first = (0..<50).map { _ in a.mutated() }
        XCTAssertEqual(first, (0..<50).map { _ in b.mutated() })
        XCTAssertGreaterThan(first.filter { $0 != seed }.count, 40, "mutations should change almost every input")
    }

    func testRunStopsAtTheIterationBoundAndCountsOutcomes() {
        var fuzzer = MutationFuzzer(target: "self-test", corpus: [[1, 2, 3, 4]])
        struct Odd: Error {}
        let summary = fuzzer.run(seconds: 60, maxIterations: 200) { bytes in
            if bytes.count % 2 == 1 { throw Odd() }
        }
        XCTAssertEqual(summary.iterations, 200)
        XCTAssertEqual(summary.accepted + summary.rejected, 200)
        XCTAssertGreaterThan(summary.rejected, 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: fuzzer.lastInputPath.path))
    }
}
