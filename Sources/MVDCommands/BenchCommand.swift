import ArgumentParser
import Foundation
import Models
import Tensor

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

    public func run() throws {
        let counts = threads.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !counts.isEmpty, counts.allSatisfy({ $0 >= 1 }) else {
            throw ValidationError("--threads must be a comma-separated list of positive integers, got '\(threads)'")
        }
        print("OpenBLAS kernel: \(ComputeThreads.blasCoreName)  (\(ComputeThreads.blasConfig))")
        if let forced = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] {
            print("note: OPENBLAS_CORETYPE=\(forced) is set and forces that kernel; unset it to let OpenBLAS pick the fastest")
        }
        if !skipGemm { gemmTable(counts) }
        if !skipBlock { blockTimes(counts) }
        if teachers { teacherTimes(counts) }
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
