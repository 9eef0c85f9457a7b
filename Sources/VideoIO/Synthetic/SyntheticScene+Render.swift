import Foundation

extension SyntheticScene {
    /// The scene's frames: (frames, size, size, 3) bytes. Deterministic: the same scene gives the same bytes.
    public func render(size: Int, frames: Int) -> Clip {
        let backdrop = renderBackdrop(size: size)
        var noiseSource = SplitMix64(seed: noiseSeed)
        var pixels = [UInt8](repeating: 0, count: frames * size * size * 3)
        let second = color.map { Int(Double($0) * 0.4) }
        let first = color.map(Int.init)
        for t in 0..<frames {
            let pose = pose(at: t, frames: frames)
            let c = cos(pose.angle), s = sin(pose.angle)
            // Every copy is displaced from the first by its offset at frame 0 and shares the first's motion.
            let centres = [(pose.x, pose.y)] + copyCenters.map { (pose.x + $0[0] - centerX, pose.y + $0[1] - centerY) }
            for y in 0..<size {
                for x in 0..<size {
                    let base = (y * size + x) * 3, out = ((t * size + y) * size + x) * 3
                    var tone = 0
                    for (cx, cy) in centres where tone == 0 {
                        let dx = wrapped(Double(x) + 0.5 - cx, size), dy = wrapped(Double(y) + 0.5 - cy, size)
                        tone = coverage(u: dx * c + dy * s, v: -dx * s + dy * c, radius: pose.radius)
                    }
                    for channel in 0..<3 {
                        var value = tone == 0 ? backdrop[base + channel] : (tone == 1 ? first[channel] : second[channel])
                        if noise > 0 { value += Int(noiseSource.next() % UInt64(2 * noise + 1)) - noise }
                        pixels[out + channel] = UInt8(clamping: value)
                    }
                }
            }
        }
        return Clip(frameCount: frames, height: size, width: size, pixels: pixels)
    }

    /// Background colour plus the static clutter rectangles, as Ints per channel.
    private func renderBackdrop(size: Int) -> [Int] {
        var backdrop = [Int](repeating: 0, count: size * size * 3)
        for i in 0..<(size * size) { for c in 0..<3 { backdrop[i * 3 + c] = Int(background[c]) } }
        for rect in clutter {
            for y in rect[1]..<min(rect[1] + rect[3], size) {
                for x in rect[0]..<min(rect[0] + rect[2], size) {
                    for c in 0..<3 { backdrop[(y * size + x) * 3 + c] += rect[4] }
                }
            }
        }
        return backdrop
    }

    /// 0 outside the object, 1 for its colour, 2 for the checker's second tone; (u, v) in object coordinates.
    private func coverage(u: Double, v: Double, radius r: Double) -> Int {
        switch shape {
        case .disk:
            return u * u + v * v <= r * r ? 1 : 0
        case .square:
            return abs(u) <= 0.85 * r && abs(v) <= 0.85 * r ? 1 : 0
        case .triangle:  // equilateral, circumradius 1.15 r
            let big = 1.15 * r, root3 = 3.0.squareRoot()
            return v <= big / 2 && root3 * u - v <= big && -root3 * u - v <= big ? 1 : 0
        case .checkeredSquare:
            let half = 0.85 * r
            guard abs(u) <= half && abs(v) <= half else { return 0 }
            let cell = half / 2
            return (Int(((u + half) / cell).rounded(.down)) + Int(((v + half) / cell).rounded(.down))) % 2 == 0 ? 1 : 2
        case .bar:
            return abs(u) <= r && abs(v) <= thickness ? 1 : 0
        }
    }

    /// `d` wrapped into [-size/2, size/2): objects leaving one edge come back at the other.
    private func wrapped(_ d: Double, _ size: Int) -> Double {
        let n = Double(size)
        return d - n * (d / n).rounded()
    }
}

/// SplitMix64, the generator behind the synthetic dataset (internal: callers pass seeds, not generators).
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
