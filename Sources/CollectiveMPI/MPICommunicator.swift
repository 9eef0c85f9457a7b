import CMPI
import Collective
import Foundation

/// The ranks of an `mpirun` launch, over Open MPI.
///
/// Sums do not use `MPI_Allreduce`: MPI leaves its summation order to the implementation (it may change with the
/// message size, the number of ranks or the tuning), and floating-point addition is not associative, so the same
/// run could give other bits. Instead each sum is a reduce-scatter and an all-gather written out: the buffer is cut
/// into one contiguous segment per rank, `MPI_Alltoallv` hands rank k every rank's copy of segment k, rank k adds
/// them in rank order, and `MPI_Allgatherv` sends the summed segments to everybody. Each element is added on one
/// rank in a fixed order, and every rank receives those bits. It moves 2·(N−1)/N of the buffer per rank, as a ring
/// all-reduce does, and needs one scratch buffer of the buffer's size.
///
/// MPI errors keep their default handler (`MPI_ERRORS_ARE_FATAL`): a failed collective ends the whole job, which is
/// what a run with a dead peer must do anyway.
public final class MPICommunicator: Communicator {
    public let rank: Int
    public let size: Int
    private let world: MPI_Comm
    private var floatScratch: [Float] = []
    private var doubleScratch: [Double] = []

    /// Starts MPI. Call once per process, and only under `mpirun`.
    public init() {
        MPI_Init(nil, nil)
        world = swmpi_COMM_WORLD()
        var r: Int32 = 0, s: Int32 = 0
        MPI_Comm_rank(world, &r)
        MPI_Comm_size(world, &s)
        rank = Int(r)
        size = Int(s)
    }

    public func sumInRankOrder(_ buffer: UnsafeMutableBufferPointer<Float>) {
        sum(buffer, type: swmpi_FLOAT(), scratch: &floatScratch)
    }

    public func sumInRankOrder(_ buffer: UnsafeMutableBufferPointer<Double>) {
        sum(buffer, type: swmpi_DOUBLE(), scratch: &doubleScratch)
    }

    public func barrier() { MPI_Barrier(world) }

    public func abort(code: Int32) -> Never {
        MPI_Abort(world, code)
        exit(code)
    }

    public func finish() {
        var finalized: Int32 = 0
        MPI_Finalized(&finalized)
        if finalized == 0 { MPI_Finalize() }
    }

    /// The largest buffer one call takes: MPI counts are 32-bit. Callers cut longer buffers into buckets.
    public static let maxElements = Int(Int32.max) / 2

    private func sum<T: BinaryFloatingPoint>(_ buffer: UnsafeMutableBufferPointer<T>, type: MPI_Datatype, scratch: inout [T]) {
        let n = buffer.count
        guard size > 1, n > 0, let base = buffer.baseAddress else { return }
        precondition(n <= Self.maxElements, "sumInRankOrder takes at most \(Self.maxElements) elements per call, got \(n)")
        let segments = RankSegments(count: n, ranks: size)
        let mine = segments.range(rank)
        if scratch.count < mine.count * size { scratch = [T](repeating: 0, count: mine.count * size) }
        var sendCounts = (0..<size).map { Int32(segments.range($0).count) }
        var sendOffsets = (0..<size).map { Int32(segments.range($0).lowerBound) }
        var receiveCounts = [Int32](repeating: Int32(mine.count), count: size)
        var receiveOffsets = (0..<size).map { Int32($0 * mine.count) }
        scratch.withUnsafeMutableBufferPointer { received in
            MPI_Alltoallv(base, &sendCounts, &sendOffsets, type, received.baseAddress, &receiveCounts, &receiveOffsets, type, world)
            // Rank order: start from rank 0's copy and add ranks 1, 2, … one at a time.
            for i in 0..<mine.count {
                var s = received[i]
                for k in 1..<size { s += received[k * mine.count + i] }
                base[mine.lowerBound + i] = s
            }
        }
        MPI_Allgatherv(swmpi_IN_PLACE(), 0, type, base, &sendCounts, &sendOffsets, type, world)
    }
}

/// The contiguous segment of an n-element buffer that each rank sums: rank k owns k·n/N ..< (k+1)·n/N.
public struct RankSegments: Sendable {
    public let count: Int, ranks: Int
    public init(count: Int, ranks: Int) {
        self.count = count
        self.ranks = ranks
    }
    public func range(_ k: Int) -> Range<Int> { (k * count / ranks)..<((k + 1) * count / ranks) }
}
