import Foundation
import VideoIO

/// The decoded views of one video, or why it could not be decoded.
struct DecodedVideo {
    let video: Int
    /// Every row that still needs work: the uint8 clip [T, S, S, 3], the view it was cut with, whether the cache
    /// already stores that view (from an earlier teacher or run), and the teacher's input: the same crop resized to the
    /// teacher's input size (the clip itself when the sizes agree). Empty when all rows are done.
    let rows: [(row: Int, clip: Clip, view: ClipView, stored: Bool, teacherClip: Clip)]
    let failure: String?
    let decodeSeconds: Double
}

/// Decodes videos on a background thread, a few ahead of the teacher, in a fixed order.
final class ClipProducer: @unchecked Sendable {
    private let lock = NSCondition()
    private var queue: [DecodedVideo] = []
    private var finished = false
    private var stopped = false
    private let depth: Int

    /// `work(video)` decodes one video; it runs on the background thread, in order, one at a time.
    init(videos: [Int], depth: Int = 3, work: @escaping (Int) -> DecodedVideo) {
        self.depth = depth
        let thread = Thread { [self] in
            for video in videos {
                self.lock.lock()
                while !self.stopped && self.queue.count >= self.depth { self.lock.wait() }
                if self.stopped {
                    self.lock.unlock()
                    return
                }
                self.lock.unlock()
                let decoded = work(video)
                self.lock.lock()
                self.queue.append(decoded)
                self.lock.broadcast()
                self.lock.unlock()
            }
            self.lock.lock()
            self.finished = true
            self.lock.broadcast()
            self.lock.unlock()
        }
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// The next decoded video, or nil at the end; also the seconds spent waiting.
    func next() -> (DecodedVideo?, waited: Double) {
        let start = Date()
        lock.lock()
        defer { lock.unlock() }
        while queue.isEmpty && !finished { lock.wait() }
        guard !queue.isEmpty else { return (nil, Date().timeIntervalSince(start)) }
        let item = queue.removeFirst()
        lock.broadcast()
        return (item, Date().timeIntervalSince(start))
    }

    func stop() {
        lock.lock()
        stopped = true
        lock.broadcast()
        lock.unlock()
    }
}
