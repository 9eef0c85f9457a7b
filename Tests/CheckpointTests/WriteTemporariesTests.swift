import Checkpoint
import Foundation
import Testing

/// What a killed atomic write leaves, and who removes it.
@Suite("temporaries of atomic writes")
struct WriteTemporariesTests {
    static let uuid = "0A1B2C3D-4E5F-4061-8293-A4B5C6D7E8F9"

    /// The pid of a process that has exited (and been reaped), so it names no running process.
    static func deadPID() throws -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/true")
        try p.run()
        p.waitUntilExit()
        return p.processIdentifier
    }

    static func host() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        _ = gethostname(&buffer, buffer.count - 1)
        return String(cString: buffer)
    }

    @Test("a write removes the temporaries of dead writers of its file, and keeps live ones, other hosts' and other files'")
    func writeRemovesDeadTemporaries() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("write-temporaries-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let target = folder.appendingPathComponent("checkpoint.safetensors")
        let dead = try Self.deadPID(), host = Self.host()
        func plant(_ name: String, age: TimeInterval = 0) throws -> URL {
            let url = folder.appendingPathComponent(name)
            try Data(repeating: 7, count: 1000).write(to: url)
            if age > 0 { try FileManager.default.setAttributes([.modificationDate: Date() - age], ofItemAtPath: url.path) }
            return url
        }
        let deadOne = try plant(".checkpoint.safetensors.tmp-\(dead)@\(host)-\(Self.uuid)")
        let live = try plant(".checkpoint.safetensors.tmp-\(getpid())@\(host)-\(Self.uuid)")
        let otherHost = try plant(".checkpoint.safetensors.tmp-\(dead)@elsewhere-node-7-\(Self.uuid)")
        let oldUnnamed = try plant(".checkpoint.safetensors.tmp-\(Self.uuid)", age: 7200)
        let freshUnnamed = try plant(".checkpoint.safetensors.tmp-\(UUID().uuidString)")
        let otherFile = try plant(".model.safetensors.tmp-\(dead)@\(host)-\(Self.uuid)")
        try SafeTensors.write(StateDict(), to: target)
        let exists = { (url: URL) in FileManager.default.fileExists(atPath: url.path) }
        #expect(!exists(deadOne) && !exists(oldUnnamed))
        #expect(exists(live) && exists(otherHost) && exists(freshUnnamed) && exists(otherFile) && exists(target))
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        #expect(names.count == 5, "\(names)")
    }

    @Test("a write's own temporary names this process and host, and is gone after the rename")
    func ownTemporaryNaming() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("write-temporaries-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let target = folder.appendingPathComponent("w.safetensors")
        try SafeTensors.write(StateDict(), to: target)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["w.safetensors"])
        // A planted temporary of this very process is a live write and stays; once its pid is gone it is removed.
        let mine = folder.appendingPathComponent(".w.safetensors.tmp-\(getpid())@\(Self.host())-\(Self.uuid)")
        try Data([1]).write(to: mine)
        #expect(WriteTemporaries.removeDead(of: target).isEmpty)
        #expect(FileManager.default.fileExists(atPath: mine.path))
    }
}
