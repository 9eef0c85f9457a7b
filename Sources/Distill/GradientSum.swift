import Collective
import Foundation
import Models
import Tensor

/// Sums the student's gradients over the processes of a run, in rank order, in buckets.
///
/// The gradients are copied into one flat buffer (visiting order, trainable parameters only), summed bucket by bucket
/// with `Communicator.sumInRankOrder` and copied back. Buckets bound the scratch memory of a sum and the size of one
/// message (MPI counts are 32-bit). The sum starts after the backward pass instead of overlapping it: the backward is
/// one call that keeps every core busy in matrix products, and Open MPI over TCP moves data only inside MPI calls
/// unless it has a progress thread, so an overlap would need a thread of its own competing for those cores. The
/// seconds and bytes of each sum are returned, so that a run shows what the sum costs before anyone tunes it.
struct GradientSum {
    let communicator: Communicator
    /// Elements per bucket: 4 Mi floats (16 MiB).
    let bucketElements: Int
    private var flat: [Float] = []

    init(communicator: Communicator, bucketElements: Int = 1 << 22) {
        self.communicator = communicator
        self.bucketElements = bucketElements
    }

    /// Replaces every trainable gradient by its sum over the ranks; returns the seconds taken and the bytes handed in.
    mutating func sum(_ student: inout Student) -> (seconds: Double, bytes: Int) {
        guard communicator.size > 1 else { return (0, 0) }
        let start = Date()
        var n = 0
        student.visitParameters(prefix: "") { _, p in if p.trainable { n += p.value.count } }
        if flat.count != n { flat = [Float](repeating: 0, count: n) }
        flat.withUnsafeMutableBufferPointer { buffer in
            var at = 0
            student.visitParameters(prefix: "") { _, p in
                guard p.trainable else { return }
                let count = p.value.count
                p.withGrad { g in (buffer.baseAddress! + at).update(from: g, count: count) }
                at += count
            }
            var first = 0
            while first < n {
                let count = min(bucketElements, n - first)
                communicator.sumInRankOrder(UnsafeMutableBufferPointer(rebasing: buffer[first..<first + count]))
                first += count
            }
            at = 0
            student.visitParameters(prefix: "") { _, p in
                guard p.trainable else { return }
                let count = p.value.count
                p.withGrad { g in g.update(from: buffer.baseAddress! + at, count: count) }
                at += count
            }
        }
        return (Date().timeIntervalSince(start), n * MemoryLayout<Float>.size)
    }
}
