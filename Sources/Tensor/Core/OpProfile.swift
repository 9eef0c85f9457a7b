import Foundation
import Synchronization

/// Where a training step spends its time: self time per (section, operation), for `mvd bench --student --profile`.
///
/// Sections say which part of the model runs ("encoder forward", "decoders backward", "losses", "update"), operations
/// what runs ("linear products", "attention", "layer norm", ...). Both are regions on a stack: a region's self time is
/// its wall time less that of the regions opened inside it, so every second of a step is counted once, and time in a
/// section outside any named operation is that section's "other". Only the thread that started the profile records
/// (the step is orchestrated from one thread; the kernels' worker threads run inside a region's wall time); other
/// threads may record their own profiles at the same time. With no profile active each region costs one load and a
/// branch.
public final class OpProfile: @unchecked Sendable {
    /// What runs, the rows of the breakdown.
    public enum Op: String, CaseIterable, Sendable {
        case linear = "linear products"
        case attention = "attention (scores, softmax, weighted sum)"
        case layerNorm = "layer norm"
        case gelu = "GELU"
        case residual = "residuals and drop path"
        case tokens = "token gather, scatter, concat, positions"
        case patchify = "patchify"
        case loss = "loss"
        case gradientNorm = "gradient norm"
        case adamW = "AdamW update"
        case zeroGrad = "zeroing gradients"
        case other = "other"
    }

    /// The profiles being recorded, one per recording thread; empty in the normal case.
    nonisolated(unsafe) private static var recording: [OpProfile] = []
    /// `recording.count`, read on every region without the lock: zero means no profile anywhere.
    private static let recordingCount = Atomic<Int>(0)
    private static let lock = NSLock()

    /// The profile the calling thread is recording, or nil (the normal case).
    public static var active: OpProfile? {
        guard recordingCount.load(ordering: .relaxed) > 0 else { return nil }
        return lock.withLock { recording.first { pthread_equal($0.owner, pthread_self()) != 0 } }
    }

    private struct Frame {
        let section: String?, op: Op?, start: UInt64
        var children: UInt64 = 0
    }

    private let owner = pthread_self()
    private var stack: [Frame] = []
    /// Self seconds per section and operation.
    public private(set) var seconds: [String: [Op: Double]] = [:]
    /// The order in which sections were first entered, for printing.
    public private(set) var sectionOrder: [String] = []

    public init() {}

    /// Records every region that `body` opens on this thread into a new profile, and returns it with `body`'s result.
    public static func record<T>(_ body: () throws -> T) rethrows -> (T, OpProfile) {
        let profile = OpProfile()
        precondition(active == nil, "one profile at a time on a thread")
        lock.withLock {
            recording.append(profile)
            recordingCount.store(recording.count, ordering: .relaxed)
        }
        defer {
            lock.withLock {
                recording.removeAll { $0 === profile }
                recordingCount.store(recording.count, ordering: .relaxed)
            }
        }
        let result = try profile.region(section: "step", op: nil, body)
        return (result, profile)
    }

    /// Runs `body` as operation `op` of the current section.
    @inline(__always) @discardableResult
    public static func op<T>(_ op: Op, _ body: () throws -> T) rethrows -> T {
        guard let p = active else { return try body() }
        return try p.region(section: nil, op: op, body)
    }

    /// Runs `body` as section `name`; operations inside it are counted under it.
    @inline(__always) @discardableResult
    public static func section<T>(_ name: String, _ body: () throws -> T) rethrows -> T {
        guard let p = active else { return try body() }
        return try p.region(section: name, op: nil, body)
    }

    /// Total seconds recorded.
    public var total: Double { seconds.values.reduce(0) { $0 + $1.values.reduce(0, +) } }

    /// Seconds of one operation over every section.
    public func seconds(of op: Op) -> Double { seconds.values.reduce(0) { $0 + ($1[op] ?? 0) } }

    private func region<T>(section: String?, op: Op?, _ body: () throws -> T) rethrows -> T {
        stack.append(Frame(section: section, op: op, start: DispatchTime.now().uptimeNanoseconds))
        defer { close() }
        return try body()
    }

    private func close() {
        let frame = stack.removeLast()
        let elapsed = DispatchTime.now().uptimeNanoseconds - frame.start
        if !stack.isEmpty { stack[stack.count - 1].children += elapsed }
        // The section is the innermost one open; an operation nested in another operation counts as itself.
        let section = frame.section ?? stack.last(where: { $0.section != nil })?.section ?? "step"
        let op = frame.op ?? .other
        if seconds[section] == nil { sectionOrder.append(section) }
        seconds[section, default: [:]][op, default: 0] += Double(elapsed - min(elapsed, frame.children)) / 1e9
    }
}
