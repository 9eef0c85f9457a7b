import ArgumentParser
import Collective
import Foundation

/// An error that every rank of a run met together (each rank knows it, so none waits on another): the run ends
/// normally on every rank, with this error.
struct SharedFailure: Error {
    let error: Error
}

/// Runs a command's body on every rank of a run and ends the run so that no rank is left waiting.
///
/// An error that one rank meets alone ends the whole run at once: that rank prints its message, naming itself, and
/// aborts the job, which stops every other rank wherever it is waiting (a rank killed outright is noticed by
/// `mpirun`, which stops the others the same way). A `SharedFailure` finishes every rank; rank 0 throws it and the
/// others exit with status 1. In one process errors are thrown as before.
enum RankedRun {
    static func run(_ communicator: Communicator, command: String, _ body: () throws -> Void) throws {
        do {
            try body()
        } catch let failure as SharedFailure {
            communicator.finish()
            // Every rank knows the error; rank 0 says it, the others end with the same status.
            throw communicator.isRoot ? failure.error : ExitCode(1)
        } catch {
            guard communicator.size > 1 else { throw error }
            let message = (error as? ValidationError)?.message ?? "\(error)"
            FileHandle.standardError.write(Data("\(command): rank \(communicator.rank) of \(communicator.size) failed: \(message)\n".utf8))
            communicator.abort(code: 1)
        }
        communicator.finish()
    }
}
