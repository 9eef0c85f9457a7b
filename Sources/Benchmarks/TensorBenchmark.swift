// swift-format-ignore-file
// (Pointer closures are nested on one line each, so that the loop bodies keep one indentation level.)
import Dispatch
import Tensor

/// Timing helpers for `mvd bench`: no printing here, just numbers.
public enum TensorBenchmark {
    /// Seconds of monotonic wall time taken by `body`.
    public static func seconds(_ body: () -> Void) -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    /// A median time and the number of timed runs it was taken over (the warm-up not counted).
    public struct Timing: Sendable, Equatable {
        public var median: Double, runs: Int
        public init(median: Double, runs: Int) {
            self.median = median
            self.runs = runs
        }
    }

    /// Median seconds over repeats after one warm-up, repeating until `minSeconds` have passed (at least 3 runs).
    public static func median(minSeconds: Double = 1, maxRuns: Int = 50, _ body: () -> Void) -> Double {
        time(minSeconds: minSeconds, maxRuns: maxRuns, body).median
    }

    /// `median` with the number of runs it took, so that a report can say how many repeats a figure rests on.
    public static func time(minSeconds: Double = 1, maxRuns: Int = 50, _ body: () -> Void) -> Timing {
        body()
        var times: [Double] = []
        var total = 0.0
        while times.count < 3 || (total < minSeconds && times.count < maxRuns) {
            let t = seconds(body)
            times.append(t)
            total += t
        }
        times.sort()
        return Timing(median: times[times.count / 2], runs: times.count)
    }

    /// One product's throughput, the median time it rests on, and its accuracy against a Double reference.
    public struct GemmResult: Sendable {
        public var gflops: Double, timing: Timing, maxRelativeError: Double
    }

    /// The GEMM throughput for X[M,K] · W[N,K]ᵀ (the Linear layout) and the largest relative error of
    /// `samples` output entries against a Double dot product.
    public static func gemmThroughput(m: Int, k: Int, n: Int, samples: Int = 64) -> GemmResult {
        var rng = SplitMix64(seed: 1)
        let a = Tensor.uniform([m, k], bound: 1, using: &rng), b = Tensor.uniform([n, k], bound: 1, using: &rng)
        var c = Tensor.zeros([m, n])
        let t = time {
            a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in c.withUnsafeMutableBufferPointer { pc in
                gemm(transB: true, m: m, n: n, k: k, a: pa.baseAddress!, lda: k, b: pb.baseAddress!, ldb: k,
                     c: pc.baseAddress!, ldc: n)
            }}}
        }
        var worst = 0.0
        for _ in 0..<samples {
            let i = Int(rng.next() % UInt64(m)), j = Int(rng.next() % UInt64(n))
            var exact = 0.0, magnitude = 0.0
            for p in 0..<k {
                let v = Double(a.storage[i * k + p]) * Double(b.storage[j * k + p])
                exact += v
                magnitude += abs(v)
            }
            worst = max(worst, abs(Double(c.storage[i * n + j]) - exact) / max(magnitude, 1e-30))
        }
        return GemmResult(gflops: 2 * Double(m) * Double(n) * Double(k) / t.median / 1e9, timing: t, maxRelativeError: worst)
    }
}
