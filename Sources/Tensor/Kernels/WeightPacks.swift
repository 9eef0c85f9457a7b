import DNNLKernels
import Foundation

/// Linear layers' weights copied once into the blocked layout of oneDNN's fast kernels, for a span of code in
/// which the weights do not change: one training step (forward and backward), one teacher's whole extraction.
///
/// Without it every product hands oneDNN plain weights, which its kernel rearranges again for every call and every
/// panel; with it a product is split into panels of rows that all read one packed copy, and writes dense rows of C
/// (no copy into place). On a 2-core AMX Xeon this ran the ViT-B MLP's 1568×768×3072 product at 1.6× the
/// GFLOP/s of the plain split, one thread per call.
///
/// A pack is found by the address of the weight's storage, and holds that storage (a copy of the array, which
/// shares its buffer): while it does, the buffer can be neither freed and reused nor written in place (a write
/// copies it first), so an address found again always holds the values that were packed. The packs, and with them
/// those references, go when the scope ends.
public final class WeightPacks: @unchecked Sendable {
    /// The packs of the innermost enclosing `scope`, or nil outside any.
    @TaskLocal public static var current: WeightPacks?

    /// Runs `body` with packs that live until it returns, or, when `inheriting`, with the enclosing scope's if there
    /// is one (a frozen teacher's forward inside an extraction keeps the extraction's packs). A training step does not
    /// inherit: its weights change when it ends, and packs kept beyond that would only take memory.
    ///
    /// Products with fewer than `minimumRows` rows take the plain path. Packing one weight costs about what a
    /// product of a few hundred rows does (one thread, 384×1152: 0.5 ms, against 0.4 ms for a plain 160-row product
    /// and 0.2 ms for a packed one), so where each pack serves one product (a training step: the forward and the
    /// backward pack the weight in two orientations) it pays from about 500 rows; where packs serve many calls (a
    /// frozen teacher), from fewer.
    public static func scope<R>(inheriting: Bool = true, minimumRows: Int = 256, _ body: () throws -> R) rethrows -> R {
        if inheriting && current != nil { return try body() }
        return try $current.withValue(WeightPacks(minimumRows: minimumRows), operation: body)
    }

    /// The fewest rows of a product that uses the packs.
    public let minimumRows: Int

    private init(minimumRows: Int) { self.minimumRows = minimumRows }

    private struct Key: Hashable {
        let address: UInt
        let count: Int
        let transposed: Bool
        let precision: Precision
    }

    private final class Pack {
        let source: [Float]
        let pointer: OpaquePointer
        init(source: [Float], pointer: OpaquePointer) {
            self.source = source
            self.pointer = pointer
        }
        deinit { mvd_dnnl_packed_b_free(pointer) }
    }

    private let lock = NSLock()
    private var packs: [Key: Pack] = [:]
    private var failed: Set<Key> = []

    /// The packed form of op(W), where W is a Linear weight [out, in]: `transposed` packs Wᵀ [in, out] (forward,
    /// y = x·Wᵀ), otherwise W itself (backward, dx = dy·W). Nil when oneDNN cannot pack it (the caller then takes the
    /// plain path).
    func packed(_ weight: Tensor, transposed: Bool, precision: Precision) -> OpaquePointer? {
        let (out, inF) = (weight.shape[0], weight.shape[1])
        return weight.storage.withUnsafeBufferPointer { p -> OpaquePointer? in
            guard let base = p.baseAddress else { return nil }
            let key = Key(address: UInt(bitPattern: base), count: p.count, transposed: transposed, precision: precision)
            lock.lock()
            defer { lock.unlock() }
            if let pack = packs[key] { return pack.pointer }
            if failed.contains(key) { return nil }
            var status: Int32 = 0
            let (k, n) = transposed ? (inF, out) : (out, inF)
            guard
                let pointer = mvd_dnnl_pack_b(
                    precision == .bf16 ? 1 : 0, transposed ? 1 : 0, Int64(k), Int64(n), base, Int64(inF), &status)
            else {
                failed.insert(key)
                return nil
            }
            packs[key] = Pack(source: weight.storage, pointer: pointer)
            return pointer
        }
    }

    /// How many weights are packed (tests).
    public var count: Int {
        lock.lock()
        defer { lock.unlock() }
        return packs.count
    }
}

/// C[m, N] = A[m, K] · op(W) (+ bias) with op(W) packed, split into panels of rows spread over the threads. Returns
/// false when no pack can be had (no scope, too few rows, or oneDNN refuses); then the caller computes the product the
/// plain way (C may have been written in part). `aBF16`, `cBF16` and `gelu` are `mvd_dnnl_matmul_packed`'s flags: A
/// read as bf16, C stored as bf16, GELU applied before storing.
func packedProduct(
    _ weight: Tensor, transposed: Bool, rows m: Int, a: UnsafeRawPointer, aBF16: Bool = false, bias: UnsafePointer<Float>?,
    c: UnsafeMutableRawPointer, cBF16: Bool = false, gelu: Bool = false, precision: Precision
) -> Bool {
    guard let packs = WeightPacks.current, m >= packs.minimumRows,
        let packed = packs.packed(weight, transposed: transposed, precision: precision)
    else { return false }
    let (k, n) = transposed ? (weight.shape[1], weight.shape[0]) : (weight.shape[0], weight.shape[1])
    let (aSize, cSize) = (aBF16 ? 2 : 4, cBF16 ? 2 : 4)
    let flags = (gelu ? Int32(MVD_PACKED_GELU) : 0) | (aBF16 ? Int32(MVD_PACKED_A_BF16) : 0) | (cBF16 ? Int32(MVD_PACKED_C_BF16) : 0)
    let rows = PackedSplit.rows(m)
    let panels = (m + rows - 1) / rows
    // Panels are fixed by the shape alone, so neither the split nor any sum depends on the thread count.
    var failures = [Int32](repeating: 0, count: panels)
    failures.withUnsafeMutableBufferPointer { status in
        parallelBlocks(panels) { p in
            let lo = p * rows, size = min(m, lo + rows) - lo
            status[p] = mvd_dnnl_matmul_packed(
                packed, Int64(size), a + lo * k * aSize, Int64(k), 1, bias, c + lo * n * cSize, Int64(n), flags)
        }
    }
    return failures.allSatisfy { $0 == 0 }
}

/// How products with packed weights are split: into panels of rows of about 128, as many as make equal panels.
enum PackedSplit {
    static func rows(_ m: Int) -> Int {
        let panels = max(1, (m + 127) / 128)
        let even = panels > 1 && panels % 2 == 1 ? panels + 1 : panels  // two threads, or four, share them evenly
        return ((m + even - 1) / even + 15) / 16 * 16
    }
}
