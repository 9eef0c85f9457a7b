import Foundation
import Tensor

/// A bounded, deterministic random-mutation fuzzer for the readers of untrusted files.
///
/// Each iteration takes one input of the seed corpus, applies a few byte-level mutations (bit flips,
/// interesting integers at random offsets, insertions, deletions, duplicated ranges, splices with another
/// seed) and hands the result to `body`. A thrown error is the expected answer to garbage; a crash, trap or
/// hang in `body` is the bug being looked for, and takes the test process down with it. Before every call
/// the input is written to `lastInputPath`, so that a crash leaves the input that caused it behind: copy it
/// into `Tests/Fixtures/fuzz/<target>/` and it is replayed by every later run (`replayRegressions`).
///
/// The time budget comes from `MVD_FUZZ_SECONDS` (default 10 seconds a target), so CI spends a bounded time
/// and a developer can fuzz for an hour with the same test.
public struct MutationFuzzer {
    public let target: String
    public let corpus: [[UInt8]]
    private var random: SplitMix64

    public init(target: String, seed: UInt64 = 0x5EED, corpus: [[UInt8]]) {
        precondition(!corpus.isEmpty, "a fuzzer needs at least one seed input")
        self.target = target
        self.corpus = corpus
        self.random = SplitMix64(seed: seed)
    }

    /// Seconds each fuzz target runs: `MVD_FUZZ_SECONDS`, or `defaultSeconds`.
    public static func budgetSeconds(default defaultSeconds: Double = 10) -> Double {
        ProcessInfo.processInfo.environment["MVD_FUZZ_SECONDS"].flatMap(Double.init) ?? defaultSeconds
    }

    /// Where the input under test is kept while `body` runs (removed when the run ends without a crash).
    public var lastInputPath: URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("mvd-fuzz-\(target)-\(getpid()).bin")
    }

    public struct Summary: CustomStringConvertible {
        public var iterations = 0
        public var accepted = 0  // inputs `body` returned from without throwing
        public var rejected = 0  // inputs `body` threw on
        public var description: String { "\(iterations) inputs: \(accepted) accepted, \(rejected) rejected" }
    }

    /// Runs mutated inputs through `body` until `seconds` have passed or `maxIterations` inputs were tried.
    public mutating func run(
        seconds: Double = MutationFuzzer.budgetSeconds(), maxIterations: Int = .max,
        _ body: ([UInt8]) throws -> Void
    ) -> Summary {
        var summary = Summary()
        let deadline = Date().addingTimeInterval(seconds)
        while summary.iterations < maxIterations && Date() < deadline {
            let input = mutated()
            FileManager.default.createFile(atPath: lastInputPath.path, contents: Data(input))
            do {
                try body(input)
                summary.accepted += 1
            } catch { summary.rejected += 1 }
            summary.iterations += 1
        }
        try? FileManager.default.removeItem(at: lastInputPath)
        return summary
    }

    /// One seed with 1–4 random mutations applied.
    public mutating func mutated() -> [UInt8] {
        var bytes = corpus[index(corpus.count)]
        for _ in 0..<(1 + index(4)) { mutate(&bytes) }
        return bytes
    }

    private static let interesting: [UInt64] = [
        0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF,
        0x7FFF_FFFF_FFFF_FFFF, 0x8000_0000_0000_0000, .max, 16, 64, 1 << 20, 1 << 31, 1 << 40
    ]

    private mutating func mutate(_ bytes: inout [UInt8]) {
        if bytes.isEmpty {
            bytes = [UInt8(truncatingIfNeeded: random.next())]
            return
        }
        switch index(7) {
        case 0:  // flip one bit
            bytes[index(bytes.count)] ^= UInt8(1) << UInt8(index(8))
        case 1:  // a random byte
            bytes[index(bytes.count)] = UInt8(truncatingIfNeeded: random.next())
        case 2:  // an interesting integer of 1, 2, 4 or 8 bytes, little-endian
            let value = Self.interesting[index(Self.interesting.count)]
            let width = [1, 2, 4, 8][index(4)]
            let at = index(bytes.count)
            for k in 0..<width where at + k < bytes.count { bytes[at + k] = UInt8(truncatingIfNeeded: value >> (8 * k)) }
        case 3:  // delete a range
            let at = index(bytes.count)
            bytes.removeSubrange(at..<min(bytes.count, at + 1 + index(16)))
        case 4:  // insert random bytes
            let at = index(bytes.count + 1)
            bytes.insert(contentsOf: (0..<(1 + index(16))).map { _ in UInt8(truncatingIfNeeded: random.next()) }, at: at)
        case 5:  // duplicate a range somewhere else
            let from = index(bytes.count)
            let chunk = Array(bytes[from..<min(bytes.count, from + 1 + index(64))])
            bytes.insert(contentsOf: chunk, at: index(bytes.count + 1))
        default:  // splice: this input's head with another seed's tail
            let other = corpus[index(corpus.count)]
            guard !other.isEmpty else { return }
            bytes = Array(bytes[..<index(bytes.count + 1)]) + Array(other[index(other.count)...])
        }
    }

    private mutating func index(_ n: Int) -> Int { Int(random.next() % UInt64(max(n, 1))) }
}

extension MutationFuzzer {
    /// The inputs kept under `Tests/Fixtures/fuzz/<target>/` (inputs that once crashed a reader), sorted by name.
    public static func regressions(_ target: String) -> [(name: String, bytes: [UInt8])] {
        let dir = Fixtures.url("fuzz/\(target)")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.sorted().compactMap { name in
            (try? Data(contentsOf: dir.appendingPathComponent(name))).map { (name, [UInt8]($0)) }
        }
    }
}
