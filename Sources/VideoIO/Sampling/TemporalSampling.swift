/// Which source frames a clip uses. Every function returns 0-based frame indices in presentation order
/// (index i = the i-th frame the decoder shows), each in `0..<frameCount`, already padded for short videos
/// by the original's rule, so the result can be passed to `VideoReader.frames(at:)` unchanged.
public enum TemporalSampling {
    /// Pre-training sampler (docs/method.md §6.3, `VideoDistillation`): `numFrames` frames `samplingRate` apart.
    ///
    /// With span `L = numFrames * samplingRate`: when `frameCount > L - 1`, the start is uniform in
    /// `0...frameCount - L` and the frames are `s, s + r, …`. Otherwise the start is 0 and the walk stops
    /// advancing once (1-based position) + r ≥ frameCount, repeating the last frame reached
    /// (N = 30: 0, 4, …, 28, 28, …).
    public static func pretraining<G: RandomNumberGenerator>(
        frameCount: Int, numFrames: Int = 16, samplingRate: Int = 4, using rng: inout G
    ) -> [Int] {
        precondition(
            frameCount > 0 && numFrames > 0 && samplingRate > 0,
            "pretraining sampler needs positive sizes, got frameCount \(frameCount), numFrames \(numFrames), rate \(samplingRate)")
        let span = numFrames * samplingRate
        let start = frameCount - span + 1 > 0 ? Int.random(in: 0...(frameCount - span), using: &rng) : 0
        return pretrainingWalk(frameCount: frameCount, start: start, numFrames: numFrames, samplingRate: samplingRate)
    }

    /// The deterministic part of `pretraining`: the walk from a given 0-based `start`.
    public static func pretrainingWalk(frameCount: Int, start: Int, numFrames: Int = 16, samplingRate: Int = 4) -> [Int] {
        var position = start + 1  // the original walks 1-based positions
        var indices: [Int] = []
        for _ in 0..<numFrames {
            indices.append(position - 1)
            if position + samplingRate < frameCount { position += samplingRate }
        }
        return indices
    }

    /// K400 fine-tuning sampler (docs/method.md §6.5, "dense"): a 64-frame window (`clipLength * samplingRate`) whose end is
    /// uniform in `L...frameCount - 1`, sampled by `linspace(start, end, clipLength)` truncated to integers.
    /// Short videos (frameCount ≤ L) use `linspace(0, N, N / rate)` padded with N, clipped to N - 1.
    public static func kineticsDense<G: RandomNumberGenerator>(
        frameCount: Int, clipLength: Int = 16, samplingRate: Int = 4, using rng: inout G
    ) -> [Int] {
        let span = clipLength * samplingRate
        guard frameCount > span else { return kineticsShort(frameCount: frameCount, clipLength: clipLength, samplingRate: samplingRate) }
        let end = Int.random(in: span...(frameCount - 1), using: &rng)
        return kineticsWindow(start: end - span, end: end, clipLength: clipLength)
    }

    /// The window part of `kineticsDense`: `linspace(start, end, clipLength)` clipped to `start...end - 1`.
    public static func kineticsWindow(start: Int, end: Int, clipLength: Int = 16) -> [Int] {
        linspace(Double(start), Double(end), count: clipLength).map { min(max(Int($0), start), end - 1) }
    }

    /// The short-video branch of `kineticsDense` (frameCount ≤ clipLength * samplingRate); deterministic.
    public static func kineticsShort(frameCount: Int, clipLength: Int = 16, samplingRate: Int = 4) -> [Int] {
        let n = frameCount
        var values = linspace(0, Double(n), count: n / samplingRate)
        values += [Double](repeating: Double(n), count: max(clipLength - n / samplingRate, 0))
        return values.map { min(max(Int($0), 0), n - 1) }
    }

    /// SSv2 fine-tuning sampler (docs/method.md §6.5, TSN segments): `avg = (N - 1) / segments`; segment i draws one index
    /// uniformly in `round(avg * i)...round(avg * (i + 1))` (NumPy round half to even, both ends inclusive).
    public static func somethingSomething<G: RandomNumberGenerator>(
        frameCount: Int, segments: Int = 16, using rng: inout G
    ) -> [Int] {
        precondition(frameCount > 0 && segments > 0, "SSv2 sampler needs frameCount > 0 and segments > 0")
        let average = Double(frameCount - 1) / Double(segments)
        return (0..<segments).map { i in
            let (a, b) = somethingSomethingBounds(average: average, segment: i)
            return min(Int.random(in: a...b, using: &rng), frameCount - 1)
        }
    }

    /// The inclusive bounds of segment `segment` in the SSv2 sampler.
    public static func somethingSomethingBounds(average: Double, segment i: Int) -> (Int, Int) {
        (Int((average * Double(i)).rounded(.toNearestOrEven)), Int((average * Double(i + 1)).rounded(.toNearestOrEven)))
    }

    /// `numFrames` frames `samplingRate` apart, centred in the video (the evaluation "center" clip): start
    /// `(frameCount - span) / 2` with `span = (numFrames - 1) * samplingRate + 1`. Videos shorter than the
    /// span use the pre-training short-video rule (start 0, repeat the last frame reached).
    public static func centered(frameCount: Int, numFrames: Int = 16, samplingRate: Int = 4) -> [Int] {
        precondition(frameCount > 0 && numFrames > 0 && samplingRate > 0, "centered sampler needs positive sizes")
        let span = (numFrames - 1) * samplingRate + 1
        guard frameCount >= span else {
            return pretrainingWalk(frameCount: frameCount, start: 0, numFrames: numFrames, samplingRate: samplingRate)
        }
        let start = (frameCount - span) / 2
        return (0..<numFrames).map { start + $0 * samplingRate }
    }

    /// NumPy `linspace(start, stop, count)` with the endpoint: `start + i * step`, last value exactly `stop`.
    static func linspace(_ start: Double, _ stop: Double, count: Int) -> [Double] {
        guard count > 0 else { return [] }
        guard count > 1 else { return [start] }
        let step = (stop - start) / Double(count - 1)
        var values = (0..<count).map { Double($0) * step + start }
        values[count - 1] = stop
        return values
    }
}
