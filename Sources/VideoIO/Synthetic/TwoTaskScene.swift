import Foundation

/// The shape of a two-task world's object: the appearance label.
public enum TwoTaskShape: String, Codable, Sendable, CaseIterable {
    case disk, square, triangle, ring
}

/// The direction a two-task world's object travels in: the motion label. Left and right (up and down) are
/// time-reversals of each other, so a model that pools over time without order cannot tell them apart.
public enum TwoTaskMotion: String, Codable, Sendable, CaseIterable {
    case right, left, up, down

    /// Unit displacement per frame, in image coordinates (rows grow downwards).
    var direction: (dx: Double, dy: Double) {
        switch self {
        case .right: return (1, 0)
        case .left: return (-1, 0)
        case .up: return (0, -1)
        case .down: return (0, 1)
        }
    }
}

/// One video of the two-task world: an object with a shape (appearance label) that travels in a direction
/// (motion label) over a static textured background. Colour, size, place, orientation, speed, background and noise
/// are drawn independently of both labels, so neither label can be read off them.
///
/// Lengths are drawn relative to the frame side, so the same world can be rendered at any size. Objects span
/// 27-36% of the frame (two patches or more of a patch-8 model at 32 px) and move 1.5-2.5% of the frame per frame,
/// so that one tubelet of two frames sampled 2 apart already shows the direction. The object stays wholly inside the
/// frame for the whole video: its path is drawn around a midpoint that is uniform over the places that allow it,
/// so where the object is on average says nothing about either label. The background is a smooth random colour field (plus faint
/// static grain): every patch has structure that its neighbours predict, which makes per-patch normalised pixel
/// targets meaningful, and it does not move, so what changes over time is the object alone.
public struct TwoTaskScene: Equatable, Sendable, Codable {
    public var shape: TwoTaskShape
    public var motion: TwoTaskMotion
    /// Object RGB.
    public var color: [Int]
    /// Background: a base RGB, and two smooth plane waves per channel (amplitude, cycles across x, across y, phase).
    public var background: [Int]
    public var waves: [[Double]]
    /// Object centre at frame 0, radius and orientation, as fractions of the frame side (angle in radians).
    public var centerX: Double
    public var centerY: Double
    public var radius: Double
    public var angle: Double
    /// Travel per frame as a fraction of the frame side.
    public var speed: Double
    /// Half-width of the static grain and of the per-frame noise, in grey levels.
    public var grain: Int
    public var noise: Int
    public var noiseSeed: UInt64

    /// A scene with the given labels and every other attribute drawn from `rng`, whose object stays inside the frame
    /// for `frames` frames.
    public static func random<G: RandomNumberGenerator>(
        shape: TwoTaskShape, motion: TwoTaskMotion, frames: Int,
        using rng: inout G
    ) -> TwoTaskScene {
        let background = (0..<3).map { _ in Int.random(in: 40...110, using: &rng) }
        // Any hue, but always much brighter than the background: the sign of an edge's change over time then says
        // which way the object moves, as it does for a lit object in front of a darker scene.
        var color = background
        while color.reduce(0, +) - background.reduce(0, +) < 3 * 90 {
            color = (0..<3).map { _ in Int.random(in: 0...255, using: &rng) }
        }
        // Two plane waves per channel, each with its own direction and 0.5-2.5 periods across the frame.
        let waves = (0..<6).map { _ -> [Double] in
            [
                Double.random(in: 8...22, using: &rng), Double.random(in: -2.5...2.5, using: &rng),
                Double.random(in: -2.5...2.5, using: &rng), Double.random(in: 0..<(2 * .pi), using: &rng)
            ]
        }
        let radius = Double.random(in: 0.15...0.2, using: &rng), speed = Double.random(in: 0.015...0.025, using: &rng)
        let angle = Double.random(in: 0..<(2 * .pi), using: &rng)
        // The path's midpoint keeps the object inside for all `frames` on both axes, whatever its angle and direction.
        // Every shape fits in a circle of 1.2 radius: one margin for all shapes, so the margin says nothing of the shape.
        let extent = 1.2 * radius, halfTravel = speed * Double(max(frames - 1, 0)) / 2
        // (A video too long for that keeps its midpoint central and lets the object leave the frame.)
        let low = min(extent + halfTravel, 0.5)
        let midX = Double.random(in: low...(1 - low), using: &rng), midY = Double.random(in: low...(1 - low), using: &rng)
        let (dx, dy) = motion.direction
        return TwoTaskScene(
            shape: shape, motion: motion, color: color, background: background, waves: waves,
            centerX: midX - dx * halfTravel, centerY: midY - dy * halfTravel, radius: radius, angle: angle,
            speed: speed, grain: Int.random(in: 0...2, using: &rng), noise: Int.random(in: 0...3, using: &rng),
            noiseSeed: rng.next())
    }

    /// The frames: (frames, size, size, 3) bytes. Deterministic: the same scene gives the same bytes.
    public func render(size: Int, frames: Int) -> Clip {
        let n = Double(size)
        let backdrop = renderBackdrop(size: size)
        var noiseSource = SplitMix64(seed: noiseSeed ^ 0x6E6F_6973_65)
        var pixels = [UInt8](repeating: 0, count: frames * size * size * 3)
        let (dx, dy) = motion.direction
        let c = cos(angle), s = sin(angle), r = radius * n
        for t in 0..<frames {
            let cx = (centerX + dx * speed * Double(t)) * n, cy = (centerY + dy * speed * Double(t)) * n
            for y in 0..<size {
                for x in 0..<size {
                    let ox = Double(x) + 0.5 - cx, oy = Double(y) + 0.5 - cy
                    let inside = covers(u: ox * c + oy * s, v: -ox * s + oy * c, radius: r)
                    let base = (y * size + x) * 3, out = ((t * size + y) * size + x) * 3
                    for channel in 0..<3 {
                        var value = inside ? color[channel] : backdrop[base + channel]
                        if noise > 0 { value += Int(noiseSource.next() % UInt64(2 * noise + 1)) - noise }
                        pixels[out + channel] = UInt8(clamping: value)
                    }
                }
            }
        }
        return Clip(frameCount: frames, height: size, width: size, pixels: pixels)
    }

    /// The static background: base colour + smooth waves per channel + fixed grain.
    private func renderBackdrop(size: Int) -> [Int] {
        var grainSource = SplitMix64(seed: noiseSeed)
        var backdrop = [Int](repeating: 0, count: size * size * 3)
        let n = Double(size)
        for y in 0..<size {
            for x in 0..<size {
                for channel in 0..<3 {
                    let wave = waves[(2 * channel)...(2 * channel + 1)].reduce(0.0) { sum, w in
                        sum + w[0] * sin(2 * .pi * (w[1] * Double(x) / n + w[2] * Double(y) / n) + w[3])
                    }
                    let g = Int(grainSource.next() % UInt64(2 * grain + 1)) - grain
                    backdrop[(y * size + x) * 3 + channel] = background[channel] + Int(wave.rounded()) + g
                }
            }
        }
        return backdrop
    }

    /// Whether object coordinates (u, v) lie inside the shape of radius `r` (all four shapes have similar areas,
    /// so the number of object pixels says little about the shape).
    private func covers(u: Double, v: Double, radius r: Double) -> Bool {
        switch shape {
        case .disk: return u * u + v * v <= 0.8 * r * r
        case .square: return abs(u) <= 0.8 * r && abs(v) <= 0.8 * r
        case .triangle:  // equilateral, circumradius 1.2 r
            let big = 1.2 * r, root3 = 3.0.squareRoot()
            return v <= big / 2 && root3 * u - v <= big && -root3 * u - v <= big
        case .ring:
            let d2 = u * u + v * v
            return d2 <= r * r && d2 >= 0.4 * r * r
        }
    }
}
