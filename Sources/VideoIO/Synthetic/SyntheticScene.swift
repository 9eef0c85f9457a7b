import Foundation

/// How much the nuisance attributes of the synthetic videos vary.
public enum SyntheticNuisance: String, Codable, Sendable, CaseIterable {
    /// Any background colour, 0-4 faint clutter rectangles, per-pixel noise up to ±14.
    case full
    /// A dark grey background (40-80, ±8 per channel), no clutter, noise up to ±3: the object dominates.
    case low
}

/// Where the copies of a synthetic object go.
public enum SyntheticLayout: String, Codable, Sendable, CaseIterable {
    /// Anywhere in the frame.
    case random
    /// On a k×k lattice (k² objects) of period size/k: every masked copy has a visible twin.
    case grid
}

/// Every random choice behind one synthetic video. `random(for:size:frames:using:)` draws the nuisance
/// attributes (background, noise, clutter, colour, size, place, speed) independently of the class, so only
/// the class's shape or motion carries the label; `render(size:frames:)` draws the frames.
public struct SyntheticScene: Equatable, Sendable, Codable {
    public var shape: SyntheticShape
    public var motion: SyntheticMotion
    /// Background RGB.
    public var background: [UInt8]
    /// Object RGB (far from the background); the checker's second tone is 40% of it.
    public var color: [UInt8]
    /// Half-width of uniform per-pixel, per-frame noise added to every frame.
    public var noise: Int
    /// Static faint rectangles in the background: (x, y, width, height, brightness offset).
    public var clutter: [[Int]]
    /// Object centre at frame 0, in pixels.
    public var centerX: Double
    public var centerY: Double
    /// Object radius (half side, circumradius or bar half-length) in pixels, at frame 0.
    public var radius: Double
    /// Bar half-thickness in pixels.
    public var thickness: Double
    /// Orientation at frame 0, radians.
    public var angle: Double
    /// Pixels per frame (drift, translation), radians per frame (rotation) or total length ratio (grow/shrink).
    public var rate: Double
    /// Drift direction, radians.
    public var heading: Double
    /// Seed for the per-frame noise.
    public var noiseSeed: UInt64
    /// Centres (frame 0, pixels) of further copies of the object: same shape, colour, size, angle and motion.
    public var copyCenters: [[Double]] = []

    /// A random scene of `synthClass` for `size` x `size` frames; `objectScale` multiplies the object's size.
    /// `nuisance` sets how much the background, clutter and noise vary between videos.
    /// `objects` copies of the object move together (more than one makes masked patches predictable from visible copies).
    public static func random<G: RandomNumberGenerator>(
        for synthClass: SyntheticClass, size: Int, objectScale: Double = 1,
        nuisance: SyntheticNuisance = .full, objects: Int = 1,
        layout: SyntheticLayout = .random,
        using rng: inout G
    ) -> SyntheticScene {
        let s = Double(size) / 64  // all lengths are drawn for 64 px and scaled
        let background: [UInt8]
        switch nuisance {
        case .full: background = (0..<3).map { _ in UInt8.random(in: 0...255, using: &rng) }
        case .low:
            let grey = Int.random(in: 40...80, using: &rng)
            background = (0..<3).map { _ in UInt8(grey + Int.random(in: -8...8, using: &rng)) }
        }
        var color = background
        while zip(color, background).reduce(0, { $0 + abs(Int($1.0) - Int($1.1)) }) < 200 {
            color = (0..<3).map { _ in UInt8.random(in: 0...255, using: &rng) }
        }
        let clutterCount = nuisance == .full ? Int.random(in: 0...4, using: &rng) : 0
        let clutter = (0..<clutterCount).map { _ -> [Int] in
            [
                Int.random(in: 0..<size, using: &rng), Int.random(in: 0..<size, using: &rng),
                Int.random(in: 2...max(2, size / 4), using: &rng), Int.random(in: 2...max(2, size / 4), using: &rng),
                Int.random(in: -24...24, using: &rng)
            ]
        }
        let isBar = synthClass.shape == .bar
        let rate: Double
        switch synthClass.motion {
        case .drift: rate = Double.random(in: 0.3...1.2, using: &rng) * s
        case .moveRight, .moveLeft: rate = Double.random(in: 0.8...2.0, using: &rng) * s
        case .rotateClockwise, .rotateCounterClockwise: rate = Double.random(in: 0.07...0.16, using: &rng)
        case .grow, .shrink: rate = Double.random(in: 2.2...3.0, using: &rng)
        }
        let noise = Int.random(in: 0...(nuisance == .full ? 14 : 3), using: &rng)
        var scene = SyntheticScene(
            shape: synthClass.shape, motion: synthClass.motion, background: background, color: color,
            noise: noise, clutter: clutter,
            centerX: Double.random(in: 0..<Double(size), using: &rng), centerY: Double.random(in: 0..<Double(size), using: &rng),
            radius: (isBar ? Double.random(in: 6...13, using: &rng) : Double.random(in: 7...12, using: &rng)) * s * objectScale,
            thickness: Double.random(in: 1.5...2.8, using: &rng) * s * objectScale,
            angle: Double.random(in: 0..<(2 * .pi), using: &rng), rate: rate,
            heading: Double.random(in: 0..<(2 * .pi), using: &rng), noiseSeed: rng.next())
        switch layout {
        case .random:
            scene.copyCenters = (1..<max(1, objects)).map { _ in
                [Double.random(in: 0..<Double(size), using: &rng), Double.random(in: 0..<Double(size), using: &rng)]
            }
        case .grid:
            let k = max(1, Int(Double(objects).squareRoot().rounded())), period = Double(size) / Double(k)
            scene.copyCenters = (1..<k * k).map { [scene.centerX + Double($0 % k) * period, scene.centerY + Double($0 / k) * period] }
        }
        return scene
    }

    /// Object pose at frame `t` of `frames`: centre, angle and radius.
    public func pose(at t: Int, frames: Int) -> (x: Double, y: Double, angle: Double, radius: Double) {
        let time = Double(t)
        let progress = frames > 1 ? time / Double(frames - 1) : 0
        switch motion {
        case .drift: return (centerX + rate * cos(heading) * time, centerY + rate * sin(heading) * time, angle, radius)
        case .moveRight: return (centerX + rate * time, centerY, angle, radius)
        case .moveLeft: return (centerX - rate * time, centerY, angle, radius)
        // Image rows grow downwards, so an increasing angle turns clockwise on screen.
        case .rotateClockwise: return (centerX, centerY, angle + rate * time, radius)
        case .rotateCounterClockwise: return (centerX, centerY, angle - rate * time, radius)
        // Both start and end lengths span the same range, so one frame's length says nothing about the class.
        case .grow: return (centerX, centerY, angle, radius / rate.squareRoot() * pow(rate, progress))
        case .shrink: return (centerX, centerY, angle, radius * rate.squareRoot() / pow(rate, progress))
        }
    }
}
