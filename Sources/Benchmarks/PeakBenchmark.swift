import CKernels
import Dispatch
import Foundation

/// The machine's arithmetic peaks, measured by loops that do nothing but arithmetic on every thread at once: the
/// ceilings that "fraction of peak" figures divide by.
public enum PeakBenchmark {
    /// One loop's fastest run.
    public struct Peak: Sendable {
        /// "fma-fp32" (512-bit fp32 FMAs, AVX-512), "fma-fp32-avx2" (256-bit, on CPUs without AVX-512) or "dot-bf16"
        /// (vdpbf16ps, AVX512_BF16).
        public var kind: String
        public var gflops: Double
        /// Wall time of that run (every thread ran `iterations` rounds).
        public var seconds: Double
    }

    /// Loop rounds per timed run: about 0.1 s at 4 GHz.
    public static let defaultIterations = 60_000_000

    /// The fastest of `repeats` runs of each loop on `threads` threads started together: the fp32 loop, then the bf16
    /// one where the CPU has AVX512_BF16. Without AVX-512, the fp32 loop on 256-bit registers where the CPU has AVX2
    /// and FMA; empty on a CPU with neither.
    public static func measure(threads: Int, repeats: Int = 3, iterations: Int = defaultIterations) -> [Peak] {
        guard mvd_cpu_has_avx512() != 0 else {
            guard mvd_peak_fma_fp32_avx2(1) != 0 else { return [] }
            return [
                fastest("fma-fp32-avx2", threads: threads, repeats: repeats, iterations: iterations, flopsPerRound: 12 * 16) {
                    _ = mvd_peak_fma_fp32_avx2($0)
                }
            ]
        }
        var peaks = [
            fastest("fma-fp32", threads: threads, repeats: repeats, iterations: iterations, flopsPerRound: 12 * 32) { _ = mvd_peak_fma_fp32($0) }
        ]
        if mvd_cpu_has_avx512_bf16() != 0 {
            peaks.append(
                fastest("dot-bf16", threads: threads, repeats: repeats, iterations: iterations, flopsPerRound: 12 * 64) {
                    _ = mvd_peak_dot_bf16($0)
                })
        }
        return peaks
    }

    static func fastest(
        _ kind: String, threads: Int, repeats: Int, iterations: Int, flopsPerRound: Double, _ loop: @escaping @Sendable (Int) -> Void
    ) -> Peak {
        loop(iterations / 100)  // warm-up: clocks up, code paged in
        var seconds = Double.infinity
        for _ in 0..<repeats {
            let start = DispatchTime.now().uptimeNanoseconds
            DispatchQueue.concurrentPerform(iterations: threads) { _ in loop(iterations) }
            seconds = min(seconds, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return Peak(kind: kind, gflops: Double(threads) * Double(iterations) * flopsPerRound / seconds / 1e9, seconds: seconds)
    }
}
