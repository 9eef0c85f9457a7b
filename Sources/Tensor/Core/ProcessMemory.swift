import CKernels

/// How the process's allocator treats the large, short-lived arrays every layer makes (activations, gradients,
/// packed operands).
public enum ProcessMemory {
    /// The largest block the allocator takes from its heap rather than from a fresh mapping: glibc's upper limit
    /// (32 MiB on 64-bit), above a ViT-B layer's activations of a 16-frame clip (1568 × 3072 floats, 19 MiB).
    static let heapBlockLimit: Int32 = 32 << 20

    /// Keeps freed memory in the process for the next array instead of returning it to the kernel.
    ///
    /// By default glibc serves blocks of a few MiB from fresh mappings and unmaps them when freed, and trims its heap
    /// when its top is free; every layer then faults its output's pages in anew, and the kernel zeroes each one. On a
    /// ViT-B bf16 teacher forward that was 1.1 million page faults per benchmark run and 10% of the time in the
    /// kernel; with this, 0.18 million (`perf stat -e page-faults` on `mvd bench --teachers`). The cost is that the
    /// process keeps the memory of its largest step until it exits. Executables call this once, first; libraries
    /// never do.
    public static func keepFreedMemory() {
        mvd_keep_freed_memory(heapBlockLimit, 64 << 20)
    }
}
