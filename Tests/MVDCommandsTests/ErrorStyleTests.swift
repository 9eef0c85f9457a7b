import Foundation
import Testing
import TestSupport

/// What a user reads when a command fails: a flag problem gets the usage text, anything else (a missing or
/// unusable input, a failed step of the work) only its own message, and every failure a non-zero status.
@Suite struct ErrorStyleTests {
    let dir: URL
    let config: URL

    init() throws {
        dir = try Fixtures.temporaryDirectory("error-style")
        config = try CommandFixtures.write(CommandFixtures.studentConfig, to: dir.appendingPathComponent("student.json"))
    }

    func distill(cache: URL, out: String, _ extra: [String] = []) throws -> (status: Int32, stderr: String) {
        try CommandFixtures.run("mvd", ["distill", "--cache", cache.path, "--out", dir.appendingPathComponent(out).path,
                                        "--model-config", config.path, "--threads", "1"] + extra)
    }

    static func showsUsage(_ text: String) -> Bool { text.contains("USAGE:") || text.contains("OPTIONS:") || text.contains("--help") }

    @Test("a missing cache is reported by the cache's own error, without the usage text, and creates no run folder")
    func missingCache() throws {
        let missing = dir.appendingPathComponent("no-such-cache.h5")
        let result = try distill(cache: missing, out: "run-missing")
        #expect(result.status == 1, "exit status \(result.status): \(result.stderr)")
        #expect(result.stderr.contains(missing.path), "\(result.stderr)")
        #expect(!Self.showsUsage(result.stderr), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("run-missing").path))
    }

    @Test("a cache whose rows were never extracted stops the run with the library's message, without the usage text")
    func cacheWithoutRows() throws {
        let cache = try CommandFixtures.cache(in: dir)
        let result = try distill(cache: cache, out: "run-empty")
        #expect(result.status == 1, "exit status \(result.status): \(result.stderr)")
        #expect(result.stderr.contains(cache.lastPathComponent) || result.stderr.contains("row"), "\(result.stderr)")
        #expect(!Self.showsUsage(result.stderr), "\(result.stderr)")
    }

    @Test("a flag problem is still shown with the usage text and the usage exit status")
    func flagProblem() throws {
        let cache = try CommandFixtures.cache(in: dir)
        let result = try distill(cache: cache, out: "run-flag", ["--epochs", "0"])
        #expect(result.status == 64, "exit status \(result.status): \(result.stderr)")
        #expect(result.stderr.contains("--epochs") && Self.showsUsage(result.stderr), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("run-flag").path))
    }
}
