import Collective

/// The communicator of this process: MPI when `mpirun` started several processes, else a single process that
/// never calls into MPI (a plain start needs no `mpirun` and starts no MPI runtime).
public enum Launch {
    public static func communicator(_ environment: LaunchEnvironment = LaunchEnvironment()) -> Communicator {
        environment.isParallel ? MPICommunicator() : SingleProcess()
    }
}
