/// The colour operations of RandAugment on one RGB frame ((H, W, 3) bytes), as PIL computes them (`ImageOps`,
/// `ImageEnhance`), so that the original's augmentation carries over value for value where PIL's arithmetic is known.
enum FrameOps {
    /// Per-channel histograms of a frame.
    static func histograms(_ frame: [UInt8]) -> [[Int]] {
        var h = [[Int]](repeating: [Int](repeating: 0, count: 256), count: 3)
        for i in stride(from: 0, to: frame.count, by: 3) {
            h[0][Int(frame[i])] += 1
            h[1][Int(frame[i + 1])] += 1
            h[2][Int(frame[i + 2])] += 1
        }
        return h
    }

    /// The frame through one table per channel.
    static func lookUp(_ frame: [UInt8], perChannel tables: [[UInt8]]) -> [UInt8] {
        var out = frame
        for i in 0..<frame.count { out[i] = tables[i % 3][Int(frame[i])] }
        return out
    }

    /// The frame through one table for all channels.
    static func lookUp(_ frame: [UInt8], _ table: [UInt8]) -> [UInt8] { frame.map { table[Int($0)] } }

    static let invertTable: [UInt8] = (0...255).map { UInt8(255 - $0) }

    /// Keeps the top `bits` bits (0 bits: black; 8 or more: unchanged).
    static func posterizeTable(bits: Int) -> [UInt8] {
        guard bits < 8 else { return (0...255).map { UInt8($0) } }
        let mask = ~((1 << (8 - max(bits, 0))) - 1) & 0xFF
        return (0...255).map { UInt8($0 & mask) }
    }

    /// Values at or above `threshold` inverted (256: unchanged).
    static func solarizeTable(threshold: Int) -> [UInt8] { (0...255).map { UInt8($0 < threshold ? $0 : 255 - $0) } }

    /// `addend` added (saturating) to values below 128.
    static func solarizeAddTable(addend: Int) -> [UInt8] { (0...255).map { UInt8($0 < 128 ? min($0 + addend, 255) : $0) } }

    /// Each channel stretched so that its darkest value becomes 0 and its brightest 255 (`ImageOps.autocontrast`,
    /// no cutoff): `int(v · 255 / (hi − lo) − lo · 255 / (hi − lo))`; a flat channel is left alone.
    static func autoContrast(_ frame: [UInt8]) -> [UInt8] {
        let tables = histograms(frame).map { h -> [UInt8] in
            guard let lo = h.firstIndex(where: { $0 > 0 }), let hi = h.lastIndex(where: { $0 > 0 }), hi > lo else {
                return (0...255).map { UInt8($0) }
            }
            let scale = 255 / Double(hi - lo), offset = -Double(lo) * scale
            return (0...255).map { UInt8(clamping: Int(Double($0) * scale + offset)) }
        }
        return lookUp(frame, perChannel: tables)
    }

    /// Each channel's histogram equalised (`ImageOps.equalize`): step = (pixels − count of the last used value) // 255;
    /// value i maps to (step // 2 + pixels below i) // step; a channel with one value (or step 0) is left alone.
    static func equalize(_ frame: [UInt8]) -> [UInt8] {
        let tables = histograms(frame).map { h -> [UInt8] in
            let used = h.filter { $0 > 0 }
            let identity = (0...255).map { UInt8($0) }
            guard used.count > 1 else { return identity }
            let step = (used.reduce(0, +) - used.last!) / 255
            guard step > 0 else { return identity }
            var n = step / 2
            var table = [UInt8](repeating: 0, count: 256)
            for i in 0..<256 {
                table[i] = UInt8(clamping: n / step)
                n += h[i]
            }
            return table
        }
        return lookUp(frame, perChannel: tables)
    }

    /// PIL's luma, `(299 R + 587 G + 114 B) / 1000` in its fixed-point form.
    @inline(__always) static func luma(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> Int {
        (Int(r) * 19595 + Int(g) * 38470 + Int(b) * 7471 + 0x8000) >> 16
    }

    /// The frame in grey, repeated over the three channels (`convert("L").convert("RGB")`).
    static func grayscaleRGB(_ frame: [UInt8]) -> [UInt8] {
        var out = frame
        for i in stride(from: 0, to: frame.count, by: 3) {
            let l = UInt8(luma(frame[i], frame[i + 1], frame[i + 2]))
            out[i] = l
            out[i + 1] = l
            out[i + 2] = l
        }
        return out
    }

    /// A flat frame at the rounded mean grey level (`ImageEnhance.Contrast`'s degenerate image).
    static func meanGray(_ frame: [UInt8]) -> [UInt8] {
        let pixels = frame.count / 3
        guard pixels > 0 else { return frame }
        var sum = 0
        for i in stride(from: 0, to: frame.count, by: 3) { sum += luma(frame[i], frame[i + 1], frame[i + 2]) }
        return [UInt8](repeating: UInt8(clamping: Int(Double(sum) / Double(pixels) + 0.5)), count: frame.count)
    }

    /// PIL's SMOOTH filter (3×3 kernel 1 1 1 / 1 5 1 / 1 1 1, divided by 13, rounded); the border rows and columns keep
    /// their values, as PIL leaves them.
    static func smoothed(_ frame: [UInt8], width: Int, height: Int) -> [UInt8] {
        guard width > 2 && height > 2 else { return frame }
        var out = frame
        for y in 1..<(height - 1) {
            for x in 1..<(width - 1) {
                for c in 0..<3 {
                    var sum = 4 * Int(frame[(y * width + x) * 3 + c])
                    for dy in -1...1 { for dx in -1...1 { sum += Int(frame[((y + dy) * width + x + dx) * 3 + c]) } }
                    out[(y * width + x) * 3 + c] = UInt8(clamping: Int(Double(sum) / 13 + 0.5))
                }
            }
        }
        return out
    }

    /// `Image.blend(degenerate, image, factor)`: degenerate + factor · (image − degenerate) in float, clamped to
    /// 0…255 and truncated (factors above 1 extrapolate away from the degenerate image).
    static func blend(_ degenerate: [UInt8], _ image: [UInt8], factor: Float) -> [UInt8] {
        var out = image
        for i in 0..<image.count {
            let d = Float(degenerate[i]), v = d + factor * (Float(image[i]) - d)
            out[i] = v <= 0 ? 0 : v >= 255 ? 255 : UInt8(v)
        }
        return out
    }
}
