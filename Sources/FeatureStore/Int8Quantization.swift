/// Per-token symmetric int8 storage of teacher features (docs/cache-format.md, "Int8 storage").
///
/// The D values of one token share a scale `s = max|x| / 127` (rounded to float32); each value is stored as
/// `q = round(x / s)`, to nearest with ties to even, in -127...127, and read back as `Float(q) * s`. Symmetric
/// per-token scales keep zero exact and bound every error by `s / 2`; a token's scale follows its own range,
/// which varies by an order of magnitude between tokens of a ViT's last block. -128 is never written.
public enum Int8Quantization {
    /// A token whose max |x| is below this is stored as zeros with scale 0: its scale would be a subnormal
    /// float, whose lost precision breaks the `s / 2` bound, and values this small are zeros as targets.
    public static let smallestQuantizedMagnitude: Float = 127 * Float.leastNormalMagnitude

    /// Quantises `values` (`[tokens, width]` row-major) into `codes` (same count) and `scales` (one per token).
    /// Returns the index of the first non-finite value without writing anything, or nil when all are finite.
    public static func quantize(
        _ values: UnsafeBufferPointer<Float>, width: Int,
        codes: UnsafeMutableBufferPointer<Int8>,
        scales: UnsafeMutableBufferPointer<Float>
    ) -> Int? {
        precondition(
            width > 0 && values.count == codes.count && values.count == scales.count * width,
            "int8 quantisation: \(values.count) values, \(codes.count) codes, \(scales.count) scales of width \(width)")
        if let bad = values.firstIndex(where: { !$0.isFinite }) { return bad }
        for token in 0..<scales.count {
            let start = token * width
            var largest: Float = 0
            for i in start..<start + width { largest = max(largest, abs(values[i])) }
            guard largest >= smallestQuantizedMagnitude else {
                scales[token] = 0
                for i in start..<start + width { codes[i] = 0 }
                continue
            }
            let scale = largest / 127
            scales[token] = scale
            // In Double, x / s is rounded correctly enough that the integer it rounds to is the one nearest the
            // exact quotient, so |x - q s| <= s / 2 holds exactly (a float32 quotient can land on the wrong side
            // of a half).
            let s = Double(scale)
            for i in start..<start + width {
                let q = (Double(values[i]) / s).rounded(.toNearestOrEven)
                codes[i] = Int8(min(127, max(-127, q)))
            }
        }
        return nil
    }

    /// `output[t * width + c] = Float(codes[t * width + c]) * scales[t]` for `tokens` tokens. `codes` (raw
    /// bytes, read as Int8) and `output` must not overlap.
    @inline(__always)
    static func dequantize(
        _ codes: UnsafeRawPointer, scales: UnsafePointer<Float>, tokens: Int, width: Int,
        into output: UnsafeMutablePointer<Float>
    ) {
        for token in 0..<tokens {
            let scale = scales[token], start = token * width
            for i in start..<start + width {
                output[i] = Float(codes.load(fromByteOffset: i, as: Int8.self)) * scale
            }
        }
    }

    /// Dequantises a row whose `tokens * width` codes lie in the last quarter of `row`'s bytes (bytes 3n..<4n of
    /// the n floats), in place, front to back. Token t's floats (bytes 4tD..<4(t+1)D) end at or before the codes
    /// of token t (from byte 3LD + tD) for every t <= L - 2, so those tokens convert from a separate source;
    /// only the last token's codes are overwritten by its own floats, so they are copied aside first.
    static func dequantizeInPlace(
        _ row: UnsafeMutableBufferPointer<Float>, scales: UnsafePointer<Float>,
        tokens: Int, width: Int
    ) {
        let n = tokens * width
        precondition(row.count == n && tokens > 0, "int8 dequantisation: \(row.count) floats for \(tokens)x\(width)")
        let out = row.baseAddress!
        let codes = UnsafeRawPointer(out) + 3 * n
        for token in 0..<tokens - 1 {
            dequantize(codes + token * width, scales: scales + token, tokens: 1, width: width, into: out + token * width)
        }
        let last = (tokens - 1) * width
        withUnsafeTemporaryAllocation(byteCount: width, alignment: 16) { copy in
            copy.baseAddress!.copyMemory(from: codes + last, byteCount: width)
            dequantize(
                UnsafeRawPointer(copy.baseAddress!), scales: scales + tokens - 1, tokens: 1, width: width,
                into: out + last)
        }
    }
}
