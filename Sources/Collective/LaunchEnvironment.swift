import Foundation

/// What the launcher (`mpirun`) tells a process through its environment, readable before MPI is started: flag
/// checks need the rank and size before any file is created, and a plain start must not load MPI at all.
public struct LaunchEnvironment: Equatable, Sendable {
    public let rank: Int
    public let size: Int
    /// Processes of the run on this machine (to share its cores among them).
    public let localSize: Int

    public static let single = LaunchEnvironment(rank: 0, size: 1, localSize: 1)

    public init(rank: Int, size: Int, localSize: Int) {
        self.rank = rank
        self.size = size
        self.localSize = localSize
    }

    /// Open MPI's `OMPI_COMM_WORLD_*` variables, or one process when they are absent or make no sense.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        func value(_ name: String) -> Int? { environment["OMPI_COMM_WORLD_" + name].flatMap { Int($0) } }
        guard let size = value("SIZE"), let rank = value("RANK"), size >= 1, rank >= 0, rank < size else {
            self = .single
            return
        }
        self.init(rank: rank, size: size, localSize: min(max(value("LOCAL_SIZE") ?? 1, 1), size))
    }

    /// True when started by `mpirun` as one of several processes.
    public var isParallel: Bool { size > 1 }
}
