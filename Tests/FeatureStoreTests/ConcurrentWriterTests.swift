import FeatureStore
import Foundation
import TestSupport
import Testing

/// Two processes adding different teachers to one existing cache at the same moment. Adding a teacher copies the
/// cache and renames the copy over it; without one lock held from the first read to the last write, the later
/// rename replaced the file the other process had already extended, and one teacher was lost with both exiting 0.
@Suite("concurrent writers")
struct ConcurrentWriterTests {
    /// What happened to the two writers of one try.
    struct Outcome: CustomStringConvertible {
        var completed: [String] = []
        var refused: [String] = []
        var description: String { "completed \(completed), refused \(refused)" }
    }

    @Test("two writers adding different teachers to one cache: each completes its teacher, or is refused with a message")
    func twoWritersAddingTeachers() throws {
        var outcomes: [Outcome] = []
        for attempt in 0..<12 { outcomes.append(try race(attempt: attempt, wait: false)) }
        // Every try must have one winner; a refusal names the other writer. Both may also finish when the first is done
        // before the second starts, which the barrier makes rare.
        #expect(outcomes.allSatisfy { !$0.completed.isEmpty }, "\(outcomes)")
        print(
            "concurrent writers, refusing: \(outcomes.filter { $0.refused.isEmpty }.count) of \(outcomes.count) tries both completed, \(outcomes.filter { !$0.refused.isEmpty }.count) one refused"
        )
    }

    @Test("with --wait-for-writer the loser waits for the winner, and both teachers are complete")
    func twoWritersWaiting() throws {
        for attempt in 0..<6 {
            let outcome = try race(attempt: attempt, wait: true)
            #expect(outcome.completed.sorted() == ["image", "video"], "try \(attempt): \(outcome)")
        }
    }

    @Test("a writer refused because a reader (distill) holds the cache is told so, not that a writer holds it")
    func writerRefusedByAReader() throws {
        let writer = try crashWriter()
        let folder = try Fixtures.temporaryDirectory("reader-holds")
        let cache = folder.appendingPathComponent("cache.h5"), ready = folder.appendingPathComponent("ready")
        #expect(try runProcess(writer, [cache.path, "--teachers", "image"]).0 == 0)
        let reader = try StartedProcess(writer, [cache.path, "--hold-reader", ready.path])
        let deadline = Date().addingTimeInterval(30)
        while !FileManager.default.fileExists(atPath: ready.path) && Date() < deadline { usleep(10_000) }
        // The same teacher again: the writer opens the cache in place (adding a teacher would write a copy).
        let (status, errors) = try runProcess(writer, [cache.path, "--teachers", "image"])
        kill(reader.process.processIdentifier, SIGKILL)
        _ = reader.finish()
        #expect(status == 1)
        #expect(errors.contains("a reader such as distill"), "\(errors)")
        #expect(!errors.contains("another process (a writer)"), "\(errors)")
    }

    /// Builds a cache with views only, starts two writers (image, video) that open it at one moment, and checks the
    /// result: each writer that exited 0 has a complete teacher in the file, each other one was refused because
    /// another writer held the cache, and the file holds exactly the completed teachers.
    private func race(attempt: Int, wait: Bool, sourceLocation: SourceLocation = #_sourceLocation) throws -> Outcome {
        let writer = try crashWriter()
        let folder = try Fixtures.temporaryDirectory("concurrent-\(wait ? "wait" : "refuse")-\(attempt)")
        let cache = folder.appendingPathComponent("cache.h5"), barrier = folder.appendingPathComponent("go")
        let reference = folder.appendingPathComponent("reference.h5")
        #expect(try runProcess(writer, [reference.path]).0 == 0)
        #expect(try runProcess(writer, [cache.path, "--teachers", "none"]).0 == 0)
        let extra = wait ? ["--wait-for-writer", "60"] : []
        let children = try ["image", "video"].map { name in
            try StartedProcess(writer, [cache.path, "--teachers", name, "--barrier", barrier.path] + extra)
        }
        #expect(FileManager.default.createFile(atPath: barrier.path, contents: Data()))
        var outcome = Outcome()
        for (name, child) in zip(["image", "video"], children) {
            let (status, errors) = child.finish()
            if status == 0 {
                outcome.completed.append(name)
            } else {
                #expect(
                    status == 1 && errors.contains("another writer"), "try \(attempt), \(name): exit \(status): \(errors)",
                    sourceLocation: sourceLocation)
                outcome.refused.append(name)
            }
        }
        let reader = try FeatureStoreReader(at: cache)
        #expect(reader.teachers.map(\.name).sorted() == outcome.completed.sorted(), "try \(attempt): \(outcome)", sourceLocation: sourceLocation)
        let statuses = try reader.videoStatuses()
        for name in outcome.completed where reader.teachers.contains(where: { $0.name == name }) {
            let done = try reader.doneFlags(teacher: name)
            let expected = done.indices.map { statuses[$0 / 2] == .ok }
            #expect(done == expected, "try \(attempt): teacher \(name) has \(done.filter { $0 }.count) rows done", sourceLocation: sourceLocation)
        }
        reader.close()
        try expectCommittedRowsIntact(cache, reference, sourceLocation: sourceLocation)
        return outcome
    }
}

/// A child process started now and collected later, so that two run at once.
final class StartedProcess {
    let process = Process()
    let errors = Pipe()
    private var text = Data()
    private let reading = DispatchGroup()

    init(_ executable: URL, _ arguments: [String]) throws {
        process.executableURL = executable
        process.arguments = arguments
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try ChildProcess.run(process)
        // Drained on another thread, so a child that writes much to stderr does not block on a full pipe.
        reading.enter()
        DispatchQueue.global().async { [self] in
            text = errors.fileHandleForReading.readDataToEndOfFile()
            reading.leave()
        }
    }

    /// Waits for the child; returns its exit status (or minus the signal) and its stderr.
    func finish() -> (Int32, String) {
        reading.wait()
        process.waitUntilExit()
        let status = process.terminationReason == .uncaughtSignal ? -process.terminationStatus : process.terminationStatus
        return (status, String(decoding: text, as: UTF8.self))
    }
}
