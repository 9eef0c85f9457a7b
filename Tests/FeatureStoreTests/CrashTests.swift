import FeatureStore
import Foundation
import TestSupport
import Testing

/// SIGKILL a writer process at chosen points, check that what it committed is intact, resume it with the
/// same command, and compare the result with an uninterrupted run (every dataset, and `h5diff`).
@Suite("crash safety")
struct CrashTests {
    /// Arguments of the killed run of `featurestore-crash-writer`; each kills itself or is killed.
    static let killPoints: [[String]] = [
        ["--kill-after-writes", "1"],  // first features written, nothing committed
        ["--kill-after-writes", "7"],  // mid-batch after a commit
        ["--kill-at", "data:1"],  // data flushed, done flags not yet written
        ["--kill-at", "data:3"],  // around the failed video's error string
        ["--kill-at", "commit:2"],  // right after a commit
        ["--kill-after-writes", "19"]  // last rows
    ]

    @Test("kill -9 at a chosen point, then resume, gives the same cache as an uninterrupted run", arguments: killPoints)
    func killAtPoint(arguments: [String]) throws {
        let writer = try crashWriter()
        let folder = try Fixtures.temporaryDirectory("crash")
        let reference = folder.appendingPathComponent("reference.h5"), crashed = folder.appendingPathComponent("crashed.h5")
        #expect(try runProcess(writer, [reference.path]).0 == 0)
        let (status, _) = try runProcess(writer, [crashed.path] + arguments)
        #expect(status == -SIGKILL, "the writer should have been killed, it exited with \(status)")
        try expectCommittedRowsIntact(crashed, reference)
        let (resumed, errors) = try runProcess(writer, [crashed.path])
        #expect(resumed == 0, "resume failed: \(errors)")
        try expectIdenticalCaches(crashed, reference)
    }

    @Test("kill -9 at arbitrary moments, repeatedly, then resume, gives the same cache")
    func killAtRandomMoments() throws {
        let writer = try crashWriter()
        let folder = try Fixtures.temporaryDirectory("crash-random")
        let reference = folder.appendingPathComponent("reference.h5"), crashed = folder.appendingPathComponent("crashed.h5")
        #expect(try runProcess(writer, [reference.path]).0 == 0)
        var kills = 0
        // Each run sleeps 20 ms per row, so each kill lands after 0 to 3 of the 12 rows: in file creation,
        // in writes, in flushes or between commits, wherever the moment falls.
        for delay in [0.005, 0.04, 0.07, 0.05, 0.09, 0.06] {
            let (status, _) = try runProcess(writer, [crashed.path, "--row-delay-ms", "20"], killAfter: delay)
            if status == -SIGKILL { kills += 1 }
            if FileManager.default.fileExists(atPath: crashed.path) { try expectCommittedRowsIntact(crashed, reference) }
        }
        #expect(kills >= 3, "only \(kills) runs were killed before finishing")
        #expect(try runProcess(writer, [crashed.path]).0 == 0)
        try expectIdenticalCaches(crashed, reference)
    }

    @Test("a run adding a second teacher, killed while writing, resumes to the same cache as one two-teacher run")
    func killWhileAddingTeacher() throws {
        let writer = try crashWriter()
        let folder = try Fixtures.temporaryDirectory("crash-teacher")
        let reference = folder.appendingPathComponent("reference.h5"), crashed = folder.appendingPathComponent("crashed.h5")
        #expect(try runProcess(writer, [reference.path]).0 == 0)
        #expect(try runProcess(writer, [crashed.path, "--teachers", "image"]).0 == 0)
        let (status, _) = try runProcess(writer, [crashed.path, "--kill-after-writes", "5"])
        #expect(status == -SIGKILL)
        try expectCommittedRowsIntact(crashed, reference)
        #expect(try runProcess(writer, [crashed.path]).0 == 0)
        try expectSameCache(crashed, reference)
    }
}

/// Opens a crashed cache (it must open) and checks that every row marked done equals the reference row,
/// and every video marked ok or failed has the reference's status and error.
func expectCommittedRowsIntact(_ crashed: URL, _ reference: URL, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let x = try FeatureStoreReader(at: crashed), y = try FeatureStoreReader(at: reference)
    let (statusX, statusY) = (try x.videoStatuses(), try y.videoStatuses())
    let (errorsX, errorsY) = (try x.videoErrors(), try y.videoErrors())
    for v in statusX.indices where statusX[v] != .pending {
        #expect(statusX[v] == statusY[v] && errorsX[v] == errorsY[v], "video \(v)", sourceLocation: sourceLocation)
    }
    for t in x.teachers {
        let done = try x.doneFlags(teacher: t.name)
        var p = [Float](repeating: 0, count: t.rowElements), q = p
        for row in done.indices where done[row] {
            try x.read(row: row, teacher: t.name, into: &p)
            try y.read(row: row, teacher: t.name, into: &q)
            #expect(p == q, "committed row \(row) of \(t.name) damaged", sourceLocation: sourceLocation)
            #expect(try x.view(row: row) == y.view(row: row), sourceLocation: sourceLocation)
        }
    }
}

/// `h5diff` (hdf5-tools) as an independent oracle: exit status 0 means no difference in any dataset or attribute.
func expectH5DiffEqual(_ a: URL, _ b: URL, sourceLocation: SourceLocation = #_sourceLocation) throws {
    guard let h5diff = tool("h5diff") else { return }  // the dataset comparison above still ran
    let (status, errors) = try runProcess(h5diff, [a.path, b.path])
    #expect(status == 0, "h5diff reports differences: \(errors)", sourceLocation: sourceLocation)
}
