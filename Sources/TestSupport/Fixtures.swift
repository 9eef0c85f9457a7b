import Foundation

/// Locates files under `Tests/Fixtures/` of this package (the committed copies of the reference fixtures).
public enum Fixtures {
    /// The package root, found from this source file's path (Sources/TestSupport/Fixtures.swift).
    public static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    public static func url(_ name: String) -> URL {
        packageRoot.appendingPathComponent("Tests/Fixtures").appendingPathComponent(name)
    }

    /// A fresh, empty temporary directory for one test.
    public static func temporaryDirectory(_ tag: String = "test") throws -> URL {
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("mvd-\(tag)-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }
}
