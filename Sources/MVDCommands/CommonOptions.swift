import ArgumentParser
import Collective
import Foundation
import Models
import Tensor

/// `--arch NAME` or `--model-config FILE`.
public struct ModelOptions: ParsableArguments {
    @Option(help: "Architecture preset: vit_small, vit_base, vit_large, vit_huge.")
    public var arch: String?

    @Option(
        help:
            "A JSON file with exactly the keys embed_dim, depth, num_heads, patch_size, input_size, num_frames, tubelet_size, mlp_ratio (and an optional decoder object).",
        transform: URL.init(fileURLWithPath:))
    public var modelConfig: URL?

    public init() {}

    /// The architecture's name (the preset or the config file's name) and its configuration.
    func resolve(defaultArch: String) throws -> (String, ModelConfig) {
        if arch != nil && modelConfig != nil { throw ValidationError("give either --arch or --model-config, not both") }
        if let file = modelConfig {
            // The file's problems are reported by its loader's typed error, which names the file and the key.
            return (file.deletingPathExtension().lastPathComponent, try ModelConfig.load(from: file))
        }
        let name = arch ?? defaultArch
        do { return (name, try ModelConfig.preset(name)) } catch { throw ValidationError("\(error)") }
    }

    /// `resolve(defaultArch:)` for a model that will be built with `positionTable`, checked to fit it.
    func resolve(defaultArch: String, positionTable: PositionEncoding) throws -> (String, ModelConfig) {
        let (name, config) = try resolve(defaultArch: defaultArch)
        do { try config.checkPositionTable(positionTable) } catch { throw ValidationError("\(error)") }
        return (name, config)
    }
}

/// Prints progress: a live line on a terminal, plain periodic lines otherwise.
final class ProgressLine {
    private let live = isatty(STDOUT_FILENO) == 1
    private var lastPrint = Date.distantPast
    private let interval: TimeInterval

    init(plainInterval: TimeInterval = 10) { interval = plainInterval }

    func update(_ text: String, force: Bool = false) {
        if live {
            print("\r\u{1B}[K" + text, terminator: "")
            fflush(nil)
        } else if force || Date().timeIntervalSince(lastPrint) >= interval {
            print(text)
            fflush(nil)
            lastPrint = Date()
        }
    }

    func finish() { if live { print("") } }
}

/// "1h02m", "3m20s", "42s".
func formatDuration(_ seconds: Double) -> String {
    guard seconds.isFinite else { return "?" }
    let s = Int(seconds.rounded())
    if s >= 3600 { return String(format: "%dh%02dm", s / 3600, (s % 3600) / 60) }
    if s >= 60 { return String(format: "%dm%02ds", s / 60, s % 60) }
    return "\(s)s"
}

/// Applies `--threads` to OpenBLAS and the parallel loops. The default shares the machine's cores among the
/// processes `mpirun` started on it, so that they do not oversubscribe them.
func applyThreads(_ n: Int?) throws {
    let count = n ?? max(1, ProcessInfo.processInfo.activeProcessorCount / LaunchEnvironment().localSize)
    guard count >= 1 else { throw ValidationError("--threads must be at least 1") }
    ComputeThreads.set(count)
}

extension Precision: ExpressibleByArgument {}

/// `--precision fp32|bf16`.
public struct PrecisionOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            """
            Number format of the matrix products: bf16 (operands rounded to bfloat16, sums in fp32; weights, optimiser \
            state, norms, softmax and losses stay fp32) or fp32. Default: bf16 where the CPU has native bf16 kernels \
            (AVX512_BF16 or AMX), fp32 elsewhere.
            """, valueName: "fp32|bf16"))
    public var precision: Precision?

    public init() {}

    public func validate() throws {
        if precision == .bf16 && !ComputePrecision.nativeBF16 {
            throw ValidationError(
                "--precision bf16: this CPU has no native bf16 kernels (AVX512_BF16 or AMX), so bf16 "
                    + "would be emulated and slower than fp32; use --precision fp32")
        }
    }

    /// The flag's value, else `recorded` (what an earlier run of the same output used), else the CPU's preference.
    func resolved(recorded: Precision? = nil) -> Precision {
        precision ?? recorded ?? ComputePrecision.preferred
    }
}

/// "precision: bf16 (oneDNN kernel brg:avx512_core_amx_bf16)": the line the commands print at start.
func precisionLine(_ precision: Precision) -> String {
    let source = ComputePrecision.kernelName(precision).map { "oneDNN kernel \($0)" } ?? "oneDNN"
    let native = ComputePrecision.nativeBF16 ? "" : "; this CPU has no native bf16"
    return "precision: \(precision.rawValue) (\(source)\(native))"
}
