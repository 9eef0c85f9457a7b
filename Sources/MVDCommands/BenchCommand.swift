import ArgumentParser
import Benchmarks
import Dispatch
import FeatureExtract
import Foundation
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
            Products run through oneDNN, which picks its kernels from the CPU (the kernel is printed); the GEMM table \
            also measures OpenBLAS's fp32 product beside it (kind linear-openblas), whose kernel OPENBLAS_CORETYPE \
            can force. Every figure is measured in each precision of --precision, side by side. With --json, standard output carries one JSON object per figure (what, model or m/k/n, kind, precision, \
            threads, seconds, repeats, blas_kernel and the figure's other values) and nothing else.
            """)

    @Option(help: ArgumentHelp("Comma-separated thread counts to measure.", valueName: "n,..."))
    var threads = CommaSeparated([1, 2])

    @Flag(help: "Skip the ViT-B block forward/backward timing.")
    var skipBlock = false

    @Option(help: "Tokens of the block benchmark (1568 = 8×14×14 for a 16×224² clip).")
    var tokens: Int = 1568

    @Flag(help: "Also time teacher forwards (ViT-S and ViT-B image teacher on 8 frames of 224², video teacher on 16×224²).")
    var teachers = false

    @Option(help: ArgumentHelp("The --teachers presets to time, comma-separated.", valueName: "vit_small,vit_base"))
    var teacherModels = CommaSeparated(["vit_small", "vit_base"])

    @Option(help: ArgumentHelp("The --teachers kinds to time, comma-separated.", valueName: "image,video"))
    var teacherKinds = CommaSeparated(["image", "video"])

    @Flag(help: "Skip the GEMM table.")
    var skipGemm = false

    @Flag(help: "Time extract-features end to end (ViT-S and ViT-B teachers, 16×224² clips from 320p H.264), split into decode, forward and write.")
    var extraction = false

    @Flag(help: "Time a ViT-S student step with two ViT-B-width targets at the --student-batches: from the cache, and with both teachers in the step.")
    var student = false

    @Option(help: ArgumentHelp("Batch sizes of the --student step, comma-separated.", valueName: "b,..."))
    var studentBatches = CommaSeparated([1, 2])

    @Flag(help: "With --student, time only the step from the cache (not the step with both teachers in it).")
    var fromCacheOnly = false

    @Flag(
        help: ArgumentHelp(
            "With --student, also break one step from the cache down by section and operation (self time: encoder and decoders forward and backward, losses, update; products, attention, layer norm, GELU, ...).",
            discussion: "A profiled step runs after one warm-up step, once per batch size; the regions cost nothing when not profiling."))
    var profile = false

    @Option(help: ArgumentHelp("Products of the GEMM table, as M×K×N (or MxKxN) separated by commas.", valueName: "M×K×N,..."))
    var gemmShapes = CommaSeparated([GemmShape(m: 1568, k: 384, n: 1152), GemmShape(m: 1568, k: 768, n: 3072), GemmShape(m: 160, k: 384, n: 1152)])

    @Flag(help: "Compare bf16 with fp32 outputs of ViT-S and ViT-B teachers (random weights, 16×224²): max and mean relative error, cosine.")
    var accuracy = false

    @Flag(
        help:
            "Measure the arithmetic peaks first (a 512-bit FMA loop, a vdpbf16ps loop where the CPU has AVX512_BF16, a 256-bit FMA loop on CPUs without AVX-512), the ceilings for fraction-of-peak figures."
    )
    var peak = false

    @Flag(help: "Print one JSON object per figure on standard output (headings and notes go to standard error).")
    var json = false

    @Option(
        help: ArgumentHelp(
            "Precisions to measure, comma-separated (default: fp32,bf16 where the CPU has native bf16, else fp32).",
            valueName: "fp32,bf16"))
    var precision: CommaSeparated<Precision>?

    /// The precisions of `--precision`.
    func precisions() throws -> [Precision] {
        guard let chosen = precision?.values else { return ComputePrecision.nativeBF16 ? [.fp32, .bf16] : [.fp32] }
        if chosen.contains(.bf16) && !ComputePrecision.nativeBF16 {
            throw ValidationError("--precision bf16: this CPU has no native bf16 kernels (AVX512_BF16 or AMX); measure fp32")
        }
        return chosen
    }

    public func validate() throws {
        for count in threads.values { try FlagChecks.integer("--threads", count, in: 1...FlagChecks.maxThreads) }
        for shape in gemmShapes.values {
            guard [shape.m, shape.k, shape.n].allSatisfy({ (1...GemmShape.maxSide).contains($0) }) else {
                throw ValidationError("--gemm-shapes: every side of an M×K×N product must be from 1 to \(GemmShape.maxSide), got \(shape)")
            }
        }
        _ = try precisions()
        try FlagChecks.integer("--tokens", tokens, in: 1...ModelConfig.limits.tokens)
        for model in teacherModels.values where (try? ModelConfig.preset(model)) == nil {
            throw ValidationError("--teacher-models: '\(model)' is not a preset (vit_small, vit_base, ...)")
        }
        for kind in teacherKinds.values where kind != "image" && kind != "video" {
            throw ValidationError("--teacher-kinds: '\(kind)' is neither image nor video")
        }
        for b in studentBatches.values { try FlagChecks.integer("--student-batches", b, in: 1...64) }
        if (fromCacheOnly || profile) && !student { throw ValidationError("--from-cache-only and --profile apply to --student; add --student") }
    }

    public func run() throws {
        defer { ComputeThreads.set(ProcessInfo.processInfo.activeProcessorCount) }
        let counts = threads.values
        FFmpegLog.setLevel(.error)
        let chosen = try precisions()
        note(
            "oneDNN kernels: " + chosen.map { "\($0.rawValue) \(ComputePrecision.kernelName($0) ?? "none")" }.joined(separator: ", ")
                + "; OpenBLAS kernel: \(ComputeThreads.blasCoreName)  (\(ComputeThreads.blasConfig))")
        if let forced = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] {
            note("note: OPENBLAS_CORETYPE=\(forced) is set and forces that kernel; unset it to let OpenBLAS pick the fastest")
        }
        if peak { peakFigures(counts) }
        if !skipGemm { try gemmTable(counts, chosen) }
        if accuracy { try accuracyFigures(counts.last ?? 2) }
        for p in chosen {
            try ComputePrecision.with(p) {
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
        }
    }

    /// The arithmetic peaks on each thread count.
    private func peakFigures(_ counts: [Int]) {
        note("\nArithmetic peaks (every thread runs the loop at once; best of 3)")
        for t in counts {
            let peaks = PeakBenchmark.measure(threads: t)
            if peaks.isEmpty { note("      neither AVX-512 nor AVX2 with FMA on this CPU: the peak loops need one") }
            for p in peaks {
                var r = BenchRecord(
                    what: .peak, kind: p.kind, precision: p.kind == "dot-bf16" ? "bf16" : "fp32", threads: t, seconds: p.seconds,
                    repeats: 3, blasKernel: ComputeThreads.blasCoreName)
                r.gflops = p.gflops
                emit(r)
            }
        }
    }

    /// A heading or a note: part of the table, or standard error beside the JSON lines.
    private func note(_ line: String) {
        if json {
            FileHandle.standardError.write(Data((line + "\n").utf8))
        } else {
            print(line)
        }
    }

    /// A figure, as a table row or a JSON line; flushed so that a script reading the pipe sees each as it comes.
    private func emit(_ record: BenchRecord) {
        var record = record
        var usage = rusage()
        if getrusage(RUSAGE_SELF.rawValue, &usage) == 0 { record.peakRssMb = Double(usage.ru_maxrss) / 1024 }  // kB on Linux
        print(json ? record.jsonLine : record.tableLine)
        fflush(stdout)
    }

    /// A record of `what` measured now, at the current thread count.
    private func record(_ what: BenchRecord.Figure, model: String? = nil, kind: String, _ timing: TensorBenchmark.Timing) -> BenchRecord {
        let precision = ComputePrecision.current
        return BenchRecord(
            what: what, model: model, kind: kind, precision: precision.rawValue, threads: ComputeThreads.count,
            seconds: timing.median, repeats: timing.runs, blasKernel: ComputeThreads.blasCoreName,
            dnnlKernel: ComputePrecision.kernelName(precision) ?? "none")
    }

    private func extractionTimes(_ dir: URL) throws {
        let manifest = try PipelineBenchmark.videos(in: dir.appendingPathComponent("videos"), count: 4)
        note(
            "\nextract-features, 4 clips of 16×224² (stride 4) from 426×320 H.264, \(ComputeThreads.count) threads, \(ComputePrecision.current.rawValue)"
        )
        for arch in ["vit_small", "vit_base"] {
            for kind in [TeacherChoice.image, .video] {
                let s = try PipelineBenchmark.extraction(kind, arch: arch, manifest: manifest, dir: dir, precision: ComputePrecision.current)
                let clips = max(s.rowsWritten, 1)
                var r = record(
                    .extract, model: arch, kind: kind.rawValue,
                    TensorBenchmark.Timing(median: s.seconds / Double(clips), runs: s.rowsWritten))
                r.clipsPerSecond = s.clipsPerSecond
                r.decodeSeconds = s.decodeSeconds / Double(clips)
                r.forwardSeconds = s.forwardSeconds / Double(clips)
                r.writeSeconds = s.writeSeconds / Double(clips)
                r.bytesPerRow = s.bytesWritten / clips
                r.frames = 16
                emit(r)
            }
        }
    }

    private func studentTimes(_ dir: URL) throws {
        note("\nViT-S student step, two ViT-B-width targets, 16×224², \(ComputeThreads.count) threads, \(ComputePrecision.current.rawValue)")
        for batch in studentBatches.values {
            let times = try PipelineBenchmark.studentStep(
                batch: batch, dir: dir, precision: ComputePrecision.current, withTeachers: !fromCacheOnly)
            var cached = record(.studentStep, model: "vit_small", kind: "student-from-cache", times.cached)
            cached.batch = batch
            cached.dataWait = times.dataWait
            emit(cached)
            if let t = times.online {
                var online = record(.studentStep, model: "vit_small", kind: "student-with-teachers", t)
                online.batch = batch
                emit(online)
            }
            if profile { try profileFigures(batch: batch, dir) }
        }
    }

    /// One from-cache step broken down by section and operation, the largest first, then the total.
    private func profileFigures(batch: Int, _ dir: URL) throws {
        let p = try PipelineBenchmark.studentStepProfile(batch: batch, dir: dir, precision: ComputePrecision.current)
        note(String(format: "\n      batch %d, one step from the cache by section and operation (self time; total %.3f s)", batch, p.total))
        var rows: [(String, OpProfile.Op, Double)] = []
        for section in p.sectionOrder { for (op, s) in p.seconds[section] ?? [:] { rows.append((section, op, s)) } }
        for (section, op, s) in rows.sorted(by: { $0.2 > $1.2 }) where s > 0 {
            var r = record(.profile, model: "vit_small", kind: op.rawValue, .init(median: s, runs: 1))
            r.section = section
            r.batch = batch
            emit(r)
        }
        note("      by operation: " + OpProfile.Op.allCases.map { ($0, p.seconds(of: $0)) }.filter { $0.1 > 0 }.sorted { $0.1 > $1.1 }
            .map { String(format: "%@ %.0f ms", $0.0.rawValue, 1000 * $0.1) }.joined(separator: ", "))
    }

    /// Each product through OpenBLAS in fp32 (kind linear-openblas) and through oneDNN in every chosen precision.
    private func gemmTable(_ counts: [Int], _ chosen: [Precision]) throws {
        let shapes = gemmShapes.values
        note("\nGEMM  (M×K)·(K×N)                 threads   GFLOP/s   median s   runs   max rel. error   kind")
        let runs: [(Precision, MatrixBackend)] = [(.fp32, .openBLAS)] + chosen.map { ($0, .oneDNN) }
        for t in counts {
            ComputeThreads.set(t)
            for shape in shapes {
                let (m, k, n) = (shape.m, shape.k, shape.n)
                for (p, backend) in runs {
                    ComputePrecision.with(p) {
                        let g = MatrixBackend.$fp32.withValue(backend) { TensorBenchmark.gemmThroughput(m: m, k: k, n: n) }
                        var r = record(.gemm, kind: backend == .openBLAS ? "linear-openblas" : "linear", g.timing)
                        (r.m, r.k, r.n, r.gflops, r.maxRelativeError) = (m, k, n, g.gflops, g.maxRelativeError)
                        emit(r)
                    }
                }
            }
        }
    }

    /// bf16 teacher outputs against fp32 on the same weights and clip.
    private func accuracyFigures(_ threads: Int) throws {
        guard ComputePrecision.nativeBF16 else { return note("\nbf16 accuracy: skipped, this CPU has no native bf16") }
        ComputeThreads.set(threads)
        note("\nbf16 against fp32, teachers with random weights on one 16×224² clip")
        for arch in ["vit_small", "vit_base"] {
            let config = try ModelConfig.preset(arch)
            var rng = SplitMix64(seed: 5)
            let clip = Tensor.uniform([1, 3, config.numFrames, config.inputSize, config.inputSize], bound: 1, using: &rng)
            let image = ImageTeacher(random: config, using: &rng), video = VideoTeacher(random: config, using: &rng)
            let runs: [(String, () -> Tensor)] = [
                ("image", { image.clipFeatures(clip, frameStride: 2) }),
                ("video", { video.features(clips: clip) })
            ]
            for (kind, forward) in runs {
                let start = DispatchTime.now().uptimeNanoseconds
                let fp32 = ComputePrecision.with(.fp32, forward), bf16 = ComputePrecision.with(.bf16, forward)
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                let a = Agreement(bf16.storage, fp32.storage)
                var r = ComputePrecision.with(.bf16) {
                    record(.bf16Accuracy, model: arch, kind: kind, TensorBenchmark.Timing(median: seconds, runs: 1))
                }
                (r.maxRelativeError, r.meanRelativeError, r.cosine, r.frames) = (a.maxRelative, a.meanRelative, a.cosine, 16)
                emit(r)
            }
        }
    }

    private func blockTimes(_ counts: [Int]) {
        note("\nViT-B block (768 wide, 12 heads, MLP 3072) on [\(tokens), 768]")
        for t in counts {
            ComputeThreads.set(t)
            let b = BlockBenchmark.run(tokens: tokens, width: 768, heads: 12)
            for (what, timing, gflops) in [
                (BenchRecord.Figure.blockForward, b.forward, b.forwardGFLOPs), (.blockBackward, b.backward, b.backwardGFLOPs)
            ] {
                var r = record(what, model: "vit_base", kind: "block", timing)
                (r.gflops, r.tokens) = (gflops, tokens)
                emit(r)
            }
        }
    }

    private func teacherTimes(_ counts: [Int]) {
        note("\nTeacher forward (random weights) on 224² frames")
        for arch in teacherModels.values {
            let config = try! ModelConfig.preset(arch)
            for t in counts {
                ComputeThreads.set(t)
                for kind in teacherKinds.values {
                    let (timing, frames) =
                        kind == "image"
                        ? (TeacherBenchmark.imageTeacherSecondsPerClip(config), 8)
                        : (TeacherBenchmark.videoTeacherSecondsPerClip(config), config.numFrames)
                    var r = record(.teacherForward, model: arch, kind: kind, timing)
                    (r.clipsPerSecond, r.frames) = (1 / timing.median, frames)
                    emit(r)
                }
            }
        }
    }
}

/// One product of the GEMM table, M×K×N, written `1568x768x3072` (or with `×`) on the command line.
struct GemmShape: ExpressibleByArgument, Equatable, CustomStringConvertible {
    var m: Int, k: Int, n: Int

    /// The largest side: three such matrices of float32 stay under 1 GiB.
    static let maxSide = 8192

    init(m: Int, k: Int, n: Int) {
        (self.m, self.k, self.n) = (m, k, n)
    }

    init?(argument: String) {
        let sides = argument.split(omittingEmptySubsequences: false) { $0 == "x" || $0 == "×" }
            .map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard sides.count == 3, let m = sides[0], let k = sides[1], let n = sides[2] else { return nil }
        self.init(m: m, k: k, n: n)
    }

    var description: String { "\(m)x\(k)x\(n)" }
    var defaultValueDescription: String { description }
}
