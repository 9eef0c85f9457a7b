/// The processes of one run and the few collective operations that training and extraction need.
///
/// The libraries take this protocol and never see MPI: a single process is `SingleProcess`, and a run started under
/// `mpirun` gets the MPI implementation from the `CollectiveMPI` target. Every operation is collective: all ranks
/// call it, in the same order, with buffers of the same length.
public protocol Communicator: AnyObject {
    /// This process's index, 0 ..< size. Rank 0 writes the run's files and prints progress.
    var rank: Int { get }
    /// The number of processes.
    var size: Int { get }

    /// Replaces `buffer` on every rank with the element-wise sum over the ranks. The sum of each element is formed
    /// in rank order (((x₀ + x₁) + x₂) + …) on one process and sent to all, so the result is the same bits on every
    /// rank and in every run, whatever the timing or the network.
    func sumInRankOrder(_ buffer: UnsafeMutableBufferPointer<Float>)
    /// The same for doubles (losses and flags, a few values).
    func sumInRankOrder(_ buffer: UnsafeMutableBufferPointer<Double>)
    /// Returns when every rank has called it.
    func barrier()
    /// Ends the whole run now, on every rank, with `code`: the way out when one rank fails alone, so that no peer
    /// waits forever in a collective. Only the command layer calls it.
    func abort(code: Int32) -> Never
    /// Leaves the collective world at the end of a run that every rank finished.
    func finish()
}

extension Communicator {
    public var isRoot: Bool { rank == 0 }

    /// The element-wise sum over the ranks of `values`, in rank order.
    public func sumInRankOrder(_ values: [Double]) -> [Double] {
        var out = values
        out.withUnsafeMutableBufferPointer { sumInRankOrder($0) }
        return out
    }
}

/// The whole run in this process: every collective is the identity.
public final class SingleProcess: Communicator {
    public init() {}
    public var rank: Int { 0 }
    public var size: Int { 1 }
    public func sumInRankOrder(_ buffer: UnsafeMutableBufferPointer<Float>) {}
    public func sumInRankOrder(_ buffer: UnsafeMutableBufferPointer<Double>) {}
    public func barrier() {}
    public func abort(code: Int32) -> Never { fatalError("a single process has no peers to stop; throw instead") }
    public func finish() {}
}
