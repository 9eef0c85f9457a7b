import Foundation
import TestSupport
import Testing
import VideoIO

/// Runs the built commands under `mpirun` on this machine (ranks talk over loopback and shared memory).
enum MPIFixtures {
    /// `mpirun` on the PATH, when Open MPI is installed (pipelines/setup.sh installs it).
    static let mpirun: URL? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { URL(fileURLWithPath: String($0)).appendingPathComponent("mpirun") }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }()

    static var available: Bool { mpirun != nil }
    static let skipReason: Comment = "mpirun not found on PATH: install Open MPI (pipelines/setup.sh) to run the multi-process tests"

    /// Starts `product` on `ranks` processes; standard output goes to `log`, standard error to a pipe.
    /// Running as root is allowed for the child alone (containers and CI run tests as root).
    static func start(_ ranks: Int, _ product: String, _ arguments: [String], log: URL) throws -> (Process, Pipe) {
        let p = Process()
        p.executableURL = try #require(mpirun, skipReason)
        let binary = try #require(Fixtures.builtProduct(product), "build the products first (swift build --build-tests)")
        p.arguments = ["--oversubscribe", "-n", "\(ranks)", binary.path] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
        environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
        p.environment = environment
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        p.standardOutput = try FileHandle(forWritingTo: log)
        let errors = Pipe()
        p.standardError = errors
        try ChildProcess.run(p)
        return (p, errors)
    }

    /// Runs to the end; returns the exit status and standard error.
    static func run(_ ranks: Int, _ product: String, _ arguments: [String], log: URL) throws -> (status: Int32, stderr: String) {
        let (p, errors) = try start(ranks, product, arguments, log: log)
        let data = errors.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// The process id of rank `rank` among the children `mpirun` (process `parent`) started on this machine.
    static func rankProcess(of parent: pid_t, rank: Int) -> pid_t? {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return nil }
        for name in names {
            guard let pid = pid_t(name),
                let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { continue }
            // Fields after the command name: state, then the parent's id.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 1, pid_t(fields[1]) == parent,
                let handle = FileHandle(forReadingAtPath: "/proc/\(pid)/environ")
            else { continue }
            let environ = handle.readDataToEndOfFile()
            try? handle.close()
            if environ.split(separator: 0).contains(where: { String(decoding: $0, as: UTF8.self) == "OMPI_COMM_WORLD_RANK=\(rank)" }) {
                return pid
            }
        }
        return nil
    }

    /// Twenty small generated videos (10 classes × 2) and their manifest.
    static func dataset(in dir: URL) throws -> URL {
        let synth = SyntheticDatasetConfig(videosPerClass: 2, valVideosPerClass: 1, size: 40, frames: 40, seed: 5)
        _ = try SyntheticDataset.write(synth, to: dir)
        return dir.appendingPathComponent(SyntheticDataset.trainManifest)
    }

    /// extract-features with the fixture video teacher over `dataset`, storing pixels (so that distill needs no videos).
    static func extractArguments(dataset root: URL, manifest: URL, out: URL) -> [String] {
        [
            "--teacher", "video", "--checkpoint", Fixtures.url("video_teacher_videomae_checkpoint.pth").path,
            "--model-config", Fixtures.url("configs/fixture_video_teacher.json").path, "--manifest", manifest.path,
            "--data-root", root.path, "--out", out.path, "--sampling-rate", "2", "--store-pixels", "--threads", "1",
            "--precision", "fp32", "--seed", "3"
        ]
    }

    /// A 32-wide student on the fixture teacher's token grid (16 frames of 32², patch 8, tubelet 2).
    static let studentConfig =
        #"{"embed_dim": 32, "depth": 1, "num_heads": 2, "patch_size": 8, "input_size": 32, "num_frames": 16, "tubelet_size": 2, "mlp_ratio": 4.0}"#
}
