import CBLAS
import Dispatch
import Foundation

/// How many threads the kernels use.
///
/// One pool does all the work: OpenBLAS runs single-threaded inside our threads (products are split into row
/// or column panels, attention into heads), so no BLAS worker spins while the elementwise kernels run. Work is
/// split into fixed blocks whose boundaries do not depend on the thread count, and every reduction adds its
/// block partials in block order, so results are bit-identical for any thread count and any scheduling.
public enum ComputeThreads {
    nonisolated(unsafe) private static var current: Int = {
        openblas_set_num_threads(1)
        return ProcessInfo.processInfo.activeProcessorCount
    }()

    /// The number of threads used by parallel loops and split products.
    public static var count: Int { current }

    /// Sets the thread count (OpenBLAS itself always runs one thread per call).
    public static func set(_ n: Int) {
        precondition(n >= 1, "thread count must be at least 1, got \(n)")
        current = n
        openblas_set_num_threads(1)
    }

    /// The OpenBLAS kernel family chosen at load time (e.g. "Cooperlake", "Haswell").
    public static var blasCoreName: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }

    /// The OpenBLAS build configuration string.
    public static var blasConfig: String {
        guard let config = openblas_get_config() else { return "unknown" }
        return String(cString: config)
    }
}

/// Runs `body(blockIndex)` for every block in `0..<blocks`, spreading the blocks over `ComputeThreads.count`
/// threads. Each block must write only its own outputs.
@inlinable
public func parallelBlocks(_ blocks: Int, _ body: (Int) -> Void) {
    let threads = min(ComputeThreads.count, blocks)
    if threads <= 1 {
        for b in 0..<blocks { body(b) }
        return
    }
    withoutActuallyEscaping(body) { body in
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            var b = t
            while b < blocks {
                body(b)
                b += threads
            }
        }
    }
}

/// Runs `body(range)` over `0..<count` split into blocks of `grain` items (the last block may be shorter).
@inlinable
public func parallelRanges(_ count: Int, grain: Int, _ body: (Range<Int>) -> Void) {
    guard count > 0 else { return }
    let g = max(1, grain)
    let blocks = (count + g - 1) / g
    parallelBlocks(blocks) { b in
        body(b * g..<min(count, (b + 1) * g))
    }
}

/// A grain that gives each block roughly `work` scalar operations, for rows of `rowCost` operations.
@inlinable
public func rowGrain(rowCost: Int, work: Int = 32_768) -> Int {
    max(1, work / max(1, rowCost))
}
