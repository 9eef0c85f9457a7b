import FeatureStore
import Foundation

/// Starting child processes from tests without handing them the test process's open files.
///
/// A child inherits every descriptor not marked close-on-exec. An inherited descriptor of an HDF5 file keeps that
/// file's lock (it belongs to the open file description, which the child now shares) for as long as the child runs,
/// so a test in another thread that reopens its own cache meanwhile is told "another process holds it open".
/// Libraries mark their descriptors as they open them, but not atomically; this marks every descriptor right
/// before the child starts, and starts it while no cache can be opened (between HDF5's open and the cache's own
/// marking, a child started by another test's thread took the descriptor, and a test failed once in a while).
public enum ChildProcess {
    /// Marks all open descriptors above standard error close-on-exec, then starts `process`.
    public static func run(_ process: Process) throws {
        try HDF5Files.whileNoneOpens {
            if let names = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") {
                for name in names {
                    guard let fd = Int32(name), fd > 2 else { continue }
                    let flags = fcntl(fd, F_GETFD)
                    if flags >= 0 && flags & FD_CLOEXEC == 0 { _ = fcntl(fd, F_SETFD, flags | FD_CLOEXEC) }
                }
            }
            try process.run()
        }
    }

    /// `h5diff A B`'s exit status: 0 when both files hold the same objects and values.
    public static func h5diff(_ a: URL, _ b: URL) throws -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/h5diff")
        p.arguments = [a.path, b.path]
        p.standardOutput = FileHandle.nullDevice
        try run(p)
        p.waitUntilExit()
        return p.terminationStatus
    }
}
