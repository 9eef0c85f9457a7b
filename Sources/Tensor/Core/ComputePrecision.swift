import DNNLKernels

/// The number format of the matrix products.
///
/// `bf16` rounds both operands of every product (linear layers, patch embedding, attention's two products, forward
/// and backward) to bfloat16 and accumulates in fp32; outputs, master weights, optimiser state, layer-norm
/// statistics, softmax and losses stay fp32. This is what PyTorch's CPU bf16 autocast computes for those products,
/// except that our outputs are not rounded to bf16 afterwards.
public enum Precision: String, Sendable, CaseIterable, Codable {
    case fp32, bf16
}

/// The precision the kernels use, scoped to the code that sets it.
///
/// A task-local value, so that one computation (a command, a test) can run in bf16 while another in the same process
/// runs in fp32. Kernels read it once on the calling thread and pass it to the threads they start.
public enum ComputePrecision {
    @TaskLocal public static var current: Precision = .fp32

    /// Runs `body` with every product in `precision`.
    public static func with<R>(_ precision: Precision, _ body: () throws -> R) rethrows -> R {
        try $current.withValue(precision, operation: body)
    }

    /// Whether oneDNN has native bf16 kernels on this CPU (AVX512_BF16 or AMX). Without them bf16 would be emulated
    /// and slower than fp32, so the commands refuse it.
    public static let nativeBF16: Bool = mvd_dnnl_native_bf16() != 0

    /// The commands' default: bf16 where the CPU computes it natively, fp32 elsewhere.
    public static var preferred: Precision { nativeBF16 ? .bf16 : .fp32 }

    /// The kernel oneDNN picks for a plain product of this shape (for benchmarks), or nil when it reports none.
    public static func kernelName(_ precision: Precision, m: Int = 1568, n: Int = 3072, k: Int = 768) -> String? {
        var name = [CChar](repeating: 0, count: 128)
        let status = mvd_dnnl_kernel_name(precision == .bf16 ? 1 : 0, Int64(m), Int64(n), Int64(k), &name, name.count)
        guard status == 0, name[0] != 0 else { return nil }
        return String(cString: name)
    }
}

extension Tensor {
    /// The values a bf16 product sees: every element rounded to bfloat16 (nearest even; NaN stays NaN).
    public func roundedToBF16() -> Tensor {
        var out = Tensor(shape: shape)
        withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in mvd_round_to_bf16(src.baseAddress!, dst.baseAddress!, count) }
        }
        return out
    }
}
