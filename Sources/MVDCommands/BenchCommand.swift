import ArgumentParser
import Foundation
import FeatureExtract
import Models
import Tensor
import VideoIO

/// `mvd bench`: throughput of the building blocks, for claims that anyone can rerun.
public struct BenchCommand: ParsableCommand {
    public init() {}
    public static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure GEMM GFLOP/s and the time of a ViT block forward and backward.",
        discussion: """
            Products are X·Wᵀ (the Linear layout) at the ViT shapes of MVD. Each figure is a median over repeats \
            after a warm-up; every product is also checked against a Double reference on sampled entries. \
            OpenBLAS chooses its kernel from the CPU unless OPENBLAS_CORETYPE forces one; the chosen kernel is printed.
            """)

    @Option(help: "Comma-separated thread counts to measure.")
    var threads: String = "1,2"

    @Flag(help: "Skip the ViT-B block forward/backward timing.")
    var skipBlock = false

    @Option(help: "Tokens of the block benchmark (1568 = 8×14×14 for a 16×224² clip).")
    var tokens: Int = 1568

    @Flag(help: "Also time teacher forwards (ViT-S and ViT-B image teacher on 8 frames of 224², video teacher on 16×224²).")
    var teachers = false

    @Flag(help: "Skip the GEMM table.")
    var skipGemm = false

    @Flag(help: "Time extract-features end to end (ViT-S and ViT-B teachers, 16×224² clips from 320p H.264), split into decode, forward and write.")
    var extraction = false

    @Flag(help: "Time a ViT-S student step with two ViT-B-width targets at batch 1 and 2: from the cache, and with both teachers in the step.")
    var student = false

    /// The thread counts of `--threads`.
    func threadCounts() throws -> [Int] {
        let fields = threads.split(separator: ",", omittingEmptySubsequences: false)
        let counts = fields.compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !counts.isEmpty, counts.count == fields.count, counts.allSatisfy({ (1...FlagChecks.maxThreads).contains($0) }) else {
            throw ValidationError("--threads must be a comma-separated list of integers from 1 to \(FlagChecks.maxThreads), got '\(threads)'")
        }
        return counts
    }

    public func validate() throws {
        _ = try threadCounts()
        try FlagChecks.integer("--tokens", tokens, in: 1...ModelConfig.limits.tokens)
    }

    public func run() throws {
        defer { ComputeThreads.set(ProcessInfo.processInfo.activeProcessorCount) }
        let counts = try threadCounts()
        FFmpegLog.setLevel(.error)
        print("OpenBLAS kernel: \(ComputeThreads.blasCoreName)  (\(ComputeThreads.blasConfig))")
        if let forced = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] {
            print("note: OPENBLAS_CORETYPE=\(forced) is set and forces that kernel; unset it to let OpenBLAS pick the fastest")
        }
        if !skipGemm { gemmTable(counts) }
        if !skipBlock { blockTimes(counts) }
        if teachers { teacherTimes(counts) }
        if extraction || student {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mvd-bench-\(ProcessInfo.processInfo.processIdentifier)")
            defer { try? FileManager.default.removeItem(at: dir) }
            ComputeThreads.set(counts.last ?? 2)
            if extraction { try extractionTimes(dir) }
            if student { try studentTimes(dir) }
        }
    }

    private func extractionTimes(_ dir: URL) throws {
        let manifest = try PipelineBenchmark.videos(in: dir.appendingPathComponent("videos"), count: 4)
        print("\nextract-features, 4 clips of 16×224² (stride 4) from 426×320 H.264, \(ComputeThreads.count) threads")
        for arch in ["vit_small", "vit_base"] {
            for kind in [TeacherChoice.image, .video] {
                let s = try PipelineBenchmark.extraction(kind, arch: arch, manifest: manifest, dir: dir)
                print(String(format: "      %@ %@ teacher: %.3f clips/s; per clip: decode %.3f s (reader thread), forward %.3f s, write %.4f s; %d bytes/row",
                             arch, kind.rawValue, s.clipsPerSecond, s.decodeSeconds / Double(s.rowsWritten),
                             s.forwardSeconds / Double(s.rowsWritten), s.writeSeconds / Double(s.rowsWritten), s.bytesWritten / max(s.rowsWritten, 1)))
            }
        }
    }

    private func studentTimes(_ dir: URL) throws {
        print("\nViT-S student step, two ViT-B-width targets, 16×224², \(ComputeThreads.count) threads")
        for batch in [1, 2] {
            let r = try PipelineBenchmark.studentStep(batch: batch, dir: dir)
            print(String(format: "      batch %d: (a) from the cache %.3f s/step (data wait %.1f%%); (b) teachers in the step %.3f s/step; (b)/(a) = %.2f",
                         batch, r.cached, 100 * r.dataWait, r.online, r.online / r.cached))
        }
    }

    private func gemmTable(_ counts: [Int]) {
        let shapes = [(1568, 384, 1152), (1568, 768, 3072), (160, 384, 1152)]
        print("\nGEMM  (M×K)·(K×N)                 threads   GFLOP/s   max rel. error")
        for t in counts {
            ComputeThreads.set(t)
            for (m, k, n) in shapes {
                let r = TensorBenchmark.gemmThroughput(m: m, k: k, n: n)
                print(String(format: "      (%4d×%4d)·(%4d×%4d)      %7d   %7.1f   %.1e", m, k, k, n, t, r.gflops, r.maxRelativeError))
            }
        }
    }

    private func blockTimes(_ counts: [Int]) {
        print("\nViT-B block (768 wide, 12 heads, MLP 3072) on [\(tokens), 768]")
        for t in counts {
            ComputeThreads.set(t)
            let r = BlockBenchmark.run(tokens: tokens, width: 768, heads: 12)
            print(String(format: "      threads %d: forward %.3f s, backward %.3f s, forward+backward %.3f s (%.0f GFLOP/s)",
                         t, r.forward, r.backward, r.forward + r.backward, r.gflops))
        }
    }

    private func teacherTimes(_ counts: [Int]) {
        print("\nTeacher forward (random weights), clips/s")
        for arch in ["vit_small", "vit_base"] {
            let config = try! ModelConfig.preset(arch)
            for t in counts {
                ComputeThreads.set(t)
                let image = TeacherBenchmark.imageTeacherSecondsPerClip(config)
                let video = TeacherBenchmark.videoTeacherSecondsPerClip(config)
                print(String(format: "      %@ threads %d: image teacher (8 frames 224²) %.3f s/clip = %.2f clips/s;  video teacher (16×224²) %.3f s/clip = %.2f clips/s",
                             arch, t, image, 1 / image, video, 1 / video))
            }
        }
    }
}
