import Foundation

/// An inverse affine map as PIL's `Image.transform(AFFINE, (a, b, c, d, e, f))` takes it: output pixel (x, y) reads
/// the source at (a·x' + b·y' + c, d·x' + e·y' + f) with x' = x + 0.5, y' = y + 0.5 (pixel centres).
public struct AffineMap: Equatable, Sendable {
    public var a, b, c, d, e, f: Double

    public init(a: Double, b: Double, c: Double, d: Double, e: Double, f: Double) {
        self.a = a
        self.b = b
        self.c = c
        self.d = d
        self.e = e
        self.f = f
    }

    /// PIL's `Image.rotate(degrees)` (counter-clockwise about the centre (w/2, h/2), same size): the matrix of the
    /// angle −degrees, its entries rounded to 15 decimals as PIL does (so that 90° and 180° are exact).
    public static func rotation(degrees: Double, width: Int, height: Int) -> AffineMap {
        let angle = -degrees * Double.pi / 180
        func r15(_ v: Double) -> Double { (v * 1e15).rounded() / 1e15 }
        let (cosA, sinA) = (r15(Foundation.cos(angle)), r15(Foundation.sin(angle)))
        let (cx, cy) = (Double(width) / 2, Double(height) / 2)
        return AffineMap(
            a: cosA, b: sinA, c: cosA * -cx + sinA * -cy + cx,
            d: -sinA, e: cosA, f: -sinA * -cx + cosA * -cy + cy)
    }
}

extension Clip {
    /// The fill RandAugment's geometric ops leave where the source lies outside the frame (the original's (128, 128, 128)).
    public static let augmentFill: UInt8 = 128

    /// Every frame resampled through `map` with PIL's transform bicubic (a = −1 cubic, edge samples clamped); output
    /// pixels whose source centre falls outside the frame get `augmentFill`.
    public func transformed(by map: AffineMap, fill: UInt8 = Clip.augmentFill) -> Clip {
        var out = [UInt8](repeating: fill, count: pixels.count)
        let (w, h) = (width, height)
        @inline(__always) func cubic(_ v1: Double, _ v2: Double, _ v3: Double, _ v4: Double, _ t: Double) -> Double {
            let p2 = -v1 + v3, p3 = 2 * (v1 - v2) + v3 - v4, p4 = -v1 + v2 - v3 + v4
            return v2 + t * (p2 + t * (p3 + t * p4))
        }
        pixels.withUnsafeBufferPointer { src in
            for t in 0..<frameCount {
                let base = t * h * w * 3
                for y in 0..<h {
                    for x in 0..<w {
                        let (xo, yo) = (Double(x) + 0.5, Double(y) + 0.5)
                        var xin = map.a * xo + map.b * yo + map.c, yin = map.d * xo + map.e * yo + map.f
                        guard xin >= 0, yin >= 0, xin < Double(w), yin < Double(h) else { continue }
                        xin -= 0.5
                        yin -= 0.5
                        let (fx, fy) = (Foundation.floor(xin), Foundation.floor(yin))
                        let (dx, dy) = (xin - fx, yin - fy)
                        let xs = (0..<4).map { min(max(Int(fx) - 1 + $0, 0), w - 1) }
                        let ys = (0..<4).map { min(max(Int(fy) - 1 + $0, 0), h - 1) }
                        for c in 0..<3 {
                            var rows = [Double](repeating: 0, count: 4)
                            for j in 0..<4 {
                                let row = base + ys[j] * w * 3 + c
                                rows[j] = cubic(
                                    Double(src[row + xs[0] * 3]), Double(src[row + xs[1] * 3]),
                                    Double(src[row + xs[2] * 3]), Double(src[row + xs[3] * 3]), dx)
                            }
                            let v = cubic(rows[0], rows[1], rows[2], rows[3], dy)
                            out[base + (y * w + x) * 3 + c] = v <= 0 ? 0 : v >= 255 ? 255 : UInt8(v)
                        }
                    }
                }
            }
        }
        return Clip(frameCount: frameCount, height: height, width: width, pixels: out)
    }
}
