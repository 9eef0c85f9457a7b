import Foundation

/// A source of training rows (a feature cache, or in-memory data in tests).
public protocol TrainingData: AnyObject {
    /// Number of rows (views) available.
    var rowCount: Int { get }
    /// The rows of each video (indices into the rows, ascending), one entry per video that has any. An epoch reads
    /// one row (view) of each video.
    var videoRows: [[Int]] { get }
    /// Loads the given rows into one batch. Called from a background thread, one call at a time.
    func load(rows: [Int]) throws -> TrainingBatch
}

extension TrainingData {
    /// Without a grouping, every row is a video of its own (one view per video).
    public var videoRows: [[Int]] { (0..<rowCount).map { [$0] } }
}

/// Loads batches on a background thread, `depth` ahead of the consumer, in a fixed order.
/// `next()` blocks only when loading is slower than training; the time spent blocked is reported.
public final class Prefetcher: @unchecked Sendable {
    private let lock = NSCondition()
    private var ready: [Int: Result<TrainingBatch, Error>] = [:]
    private var nextToConsume = 0
    private var stopped = false
    private let plan: [[Int]]
    private let depth: Int
    private var thread: Thread?

    /// `plan[i]` lists the rows of the i-th batch.
    public init(data: TrainingData, plan: [[Int]], depth: Int = 2) {
        self.plan = plan
        self.depth = max(1, depth)
        let t = Thread { [self] in self.produce(data) }
        t.stackSize = 8 << 20
        thread = t
        t.start()
    }

    private func produce(_ data: TrainingData) {
        for i in plan.indices {
            lock.lock()
            while !stopped && i - nextToConsume >= depth { lock.wait() }
            if stopped {
                lock.unlock()
                return
            }
            lock.unlock()
            let result = Result { try data.load(rows: plan[i]) }
            lock.lock()
            ready[i] = result
            lock.broadcast()
            lock.unlock()
        }
    }

    /// The next batch in plan order, and the seconds spent waiting for it.
    public func next() throws -> (TrainingBatch, waited: Double) {
        let start = Date()
        lock.lock()
        let index = nextToConsume
        while ready[index] == nil { lock.wait() }
        let result = ready.removeValue(forKey: index)!
        nextToConsume += 1
        lock.broadcast()
        lock.unlock()
        return (try result.get(), Date().timeIntervalSince(start))
    }

    /// Stops the background thread after its current load.
    public func stop() {
        lock.lock()
        stopped = true
        lock.broadcast()
        lock.unlock()
    }

    deinit { stop() }
}
