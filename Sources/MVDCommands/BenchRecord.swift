import Foundation

/// One figure of `mvd bench`. The table and the `--json` lines are two renderings of the same records, so that a
/// script reads exactly what a person reads.
struct BenchRecord: Codable, Equatable {
    /// What was measured.
    enum Figure: String, Codable, CaseIterable {
        case gemm, blockForward = "block-forward", blockBackward = "block-backward", teacherForward = "teacher-forward"
        case extract, studentStep = "student-step", bf16Accuracy = "bf16-accuracy", peak
        /// Self seconds of one operation in one section of a profiled student step (`--profile`).
        case profile
    }

    var what: Figure
    /// The preset that ran (vit_small, vit_base); absent for a product, whose shape is `m`, `k`, `n`.
    var model: String?
    /// What variant ran: "linear" (X·Wᵀ), "block", "image"/"video" (teachers), "student-from-cache" or
    /// "student-with-teachers", "fma-fp32", "fma-fp32-avx2" or "dot-bf16" (peaks).
    var kind: String
    var precision: String
    var threads: Int
    /// Median seconds of one timed run: a product, a pass, a clip (teachers) or an optimiser step (student); for
    /// "extract", the wall time of the whole run per clip.
    var seconds: Double
    /// Timed runs the median rests on (the warm-up not counted); clips written for "extract".
    var repeats: Int
    var batch: Int?
    var gflops: Double?
    var m: Int?, k: Int?, n: Int?
    var tokens: Int?
    var frames: Int?
    var clipsPerSecond: Double?
    /// The largest relative error of sampled product entries against a Double reference.
    var maxRelativeError: Double?
    /// bf16 against fp32 ("bf16-accuracy"): mean relative error and cosine similarity of the outputs.
    var meanRelativeError: Double?, cosine: Double?
    /// Per clip, for "extract": decoding (on the reader thread, overlapping the rest), teacher forward, cache write.
    var decodeSeconds: Double?, forwardSeconds: Double?, writeSeconds: Double?
    var bytesPerRow: Int?
    /// Fraction of a step spent waiting for data ("student-from-cache").
    var dataWait: Double?
    /// "profile": the section of the step ("encoder forward", "update", ...); `kind` is the operation.
    var section: String?
    /// The process's peak resident memory when the figure was emitted, in MiB (getrusage's ru_maxrss): the figure's
    /// own only where the process measured nothing before it (pipelines/reference/side-by-side.sh runs one a process).
    var peakRssMb: Double?
    /// The OpenBLAS kernel family that ran (ComputeThreads.blasCoreName).
    var blasKernel: String
    /// The kernel oneDNN picks for this precision on this CPU (e.g. "brg:avx512_core_amx_bf16").
    var dnnlKernel: String

    init(
        what: Figure, model: String? = nil, kind: String, precision: String, threads: Int, seconds: Double, repeats: Int,
        blasKernel: String, dnnlKernel: String = "none"
    ) {
        self.what = what
        self.model = model
        self.kind = kind
        self.precision = precision
        self.threads = threads
        self.seconds = seconds
        self.repeats = repeats
        self.blasKernel = blasKernel
        self.dnnlKernel = dnnlKernel
    }

    /// One line of JSON, keys sorted and in snake_case; absent values are left out.
    var jsonLine: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        // A run too short for the clock gives an infinite rate; a string keeps the line valid JSON.
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return String(decoding: try! encoder.encode(self), as: UTF8.self)
    }

    /// The row of the human table: the same values as `jsonLine`, except the kernel and precision, which the
    /// table states once in its heading.
    var tableLine: String {
        let runs = "\(repeats) run\(repeats == 1 ? "" : "s")"
        switch what {
        case .gemm:
            return String(
                format: "      (%4d×%4d)·(%4d×%4d)      %7d   %7.1f   %8.2e   %4d   %.1e          %@ %@", m ?? 0, k ?? 0, k ?? 0, n ?? 0,
                threads, gflops ?? 0, seconds, repeats, maxRelativeError ?? 0, kind, precision)
        case .blockForward, .blockBackward:
            return String(
                format: "      %@ threads %d: %@ %.3f s (%.0f GFLOP/s, %@)", precision, threads,
                what == .blockForward ? "forward" : "backward", seconds, gflops ?? 0, runs)
        case .teacherForward:
            return String(
                format: "      %@ %@ threads %d: %@ teacher (%d frames) %.3f s/clip = %.2f clips/s (%@)",
                model ?? "", precision, threads, kind, frames ?? 0, seconds, clipsPerSecond ?? 0, runs)
        case .extract:
            return String(
                format:
                    "      %@ %@ teacher: %.3f clips/s (%.3f s/clip); per clip: decode %.3f s (reader thread), forward %.3f s, write %.4f s; %d bytes/row (%d clips)",
                model ?? "", kind, clipsPerSecond ?? 0, seconds, decodeSeconds ?? 0, forwardSeconds ?? 0, writeSeconds ?? 0,
                bytesPerRow ?? 0, repeats)
        case .bf16Accuracy:
            return String(
                format: "      %@ %@ teacher, bf16 against fp32: max rel. error %.1e, mean rel. error %.1e, cosine %.6f",
                model ?? "", kind, maxRelativeError ?? 0, meanRelativeError ?? 0, cosine ?? 0)
        case .peak:
            return String(
                format: "      peak %@ threads %d: %@ %.1f GFLOP/s (%@)", precision, threads,
                kind == "fma-fp32" ? "512-bit FMA loop" : kind == "fma-fp32-avx2" ? "256-bit FMA loop" : "vdpbf16ps loop", gflops ?? 0, runs)
        case .profile:
            let pad = { (text: String, width: Int) in text.padding(toLength: max(width, text.count), withPad: " ", startingAt: 0) }
            return "      " + pad(section ?? "", 18) + " " + pad(kind, 42) + String(format: " %7.1f ms", 1000 * seconds)
        case .studentStep:
            let wait = dataWait.map { String(format: ", data wait %.1f%%", 100 * $0) } ?? ""
            return String(
                format: "      batch %d, %@: %.3f s/step (%@%@)", batch ?? 0,
                kind == "student-from-cache" ? "(a) from the cache" : "(b) teachers in the step", seconds, runs, wait)
        }
    }
}
