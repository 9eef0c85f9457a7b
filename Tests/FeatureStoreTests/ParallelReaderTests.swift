import FeatureStore
import Foundation
import TestSupport
import Testing

@Suite("parallel readers")
struct ParallelReaderTests {
    @Test("eight threads reading random rows through one reader and through their own readers get exact rows")
    func parallelReads() throws {
        let url = try TestCache.temporaryFile("parallel")
        let teacher = TestCache.teacher(tokens: 64, width: 32)
        let writer = try FeatureStoreWriter(at: url, request: TestCache.request([teacher]))
        try TestCache.fill(writer, [teacher])
        try writer.close()

        let shared = try FeatureStoreReader(at: url)
        let rows = [0, 1, 2, 3, 6, 7, 8, 9]
        let expected = rows.map { TestCache.features($0, teacher).map { Float(Float16($0)) } }
        final class Failures: @unchecked Sendable {
            let lock = NSLock()
            var items: [String] = []
            func add(_ s: String) { lock.withLock { items.append(s) } }
        }
        let failures = Failures()
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            do {
                let reader = worker % 2 == 0 ? shared : try FeatureStoreReader(at: url)
                var buffer = [Float](repeating: 0, count: teacher.rowElements)
                var random = TestRandom(seed: UInt64(worker))
                for _ in 0..<200 {
                    let pick = Int(random.next() % UInt64(rows.count))
                    try reader.read(row: rows[pick], teacher: "video", into: &buffer)
                    if buffer != expected[pick] { failures.add("worker \(worker) row \(rows[pick])") }
                }
            } catch {
                failures.add("worker \(worker): \(error)")
            }
        }
        #expect(failures.items.isEmpty, "\(failures.items.prefix(5))")
    }
}
