import Foundation

/// Locates files under `Tests/Fixtures/` of this package (the committed copies of the reference fixtures).
public enum Fixtures {
    /// The package root, found from this source file's path (Sources/TestSupport/Fixtures.swift).
    public static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    public static func url(_ name: String) -> URL {
        packageRoot.appendingPathComponent("Tests/Fixtures").appendingPathComponent(name)
    }

    /// A fresh, empty temporary directory for one test, inside this process's scratch folder
    /// (`$TMPDIR/mvd-tests-PID`), which is removed when the process exits unless `MVD_KEEP_TEST_FILES` is set.
    public static func temporaryDirectory(_ tag: String = "test") throws -> URL {
        let dir = scratchRoot.appendingPathComponent("\(tag)-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    private static let scratchRoot: URL = {
        let root = scratchRootPath()
        try? FileManager.default.removeItem(at: root)  // left by an earlier process with the same pid
        if ProcessInfo.processInfo.environment["MVD_KEEP_TEST_FILES"] == nil {
            atexit { try? FileManager.default.removeItem(at: Fixtures.scratchRootPath()) }
        }
        return root
    }()

    private static func scratchRootPath() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("mvd-tests-\(getpid())", isDirectory: true)
    }
}

extension Fixtures {
    /// An executable product of this package built beside the test binary (`swift build --build-tests` builds
    /// them), or a tool on the system path.
    public static func builtProduct(_ name: String) -> URL? {
        let built = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(name)
        let candidates = [
            built.path, packageRoot.appendingPathComponent(".build/debug/\(name)").path,
            "/usr/bin/\(name)", "/usr/local/bin/\(name)"
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }.map { URL(fileURLWithPath: $0) }
    }
}
