import Dispatch

/// Timing helpers for `mvd bench`: no printing here, just numbers.
public enum TensorBenchmark {
    /// Seconds of monotonic wall time taken by `body`.
    public static func seconds(_ body: () -> Void) -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    /// Median seconds over repeats after one warm-up, repeating until `minSeconds` have passed (at least 3 runs).
    public static func median(minSeconds: Double = 1, maxRuns: Int = 50, _ body: () -> Void) -> Double {
        body()
        var times: [Double] = []
        var total = 0.0
        while times.count < 3 || (total < minSeconds && times.count < maxRuns) {
            let t = seconds(body)
            times.append(t); total += t
        }
        times.sort()
        return times[times.count / 2]
    }

    /// The GEMM throughput for X[M,K] · W[N,K]ᵀ (the Linear layout) and the largest relative error of
    /// `samples` output entries against a Double dot product.
    public static func gemmThroughput(m: Int, k: Int, n: Int, samples: Int = 64) -> (gflops: Double, maxRelativeError: Double) {
        var rng = SplitMix64(seed: 1)
        let a = Tensor.uniform([m, k], bound: 1, using: &rng), b = Tensor.uniform([n, k], bound: 1, using: &rng)
        var c = Tensor.zeros([m, n])
        let t = median {
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
                exact += v; magnitude += abs(v)
            }
            worst = max(worst, abs(Double(c.storage[i * n + j]) - exact) / max(magnitude, 1e-30))
        }
        return (2 * Double(m) * Double(n) * Double(k) / t / 1e9, worst)
    }
}
