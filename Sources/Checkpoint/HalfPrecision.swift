/// Float from and to the two 16-bit float formats. binary16 goes through Swift's `Float16` (round to nearest even,
/// exact widening), the one conversion the package uses; bfloat16, which Swift has no type for, is the top half of
/// a Float's bits.
enum HalfPrecision {
    /// IEEE 754 binary16 bits -> Float (exact; subnormals, infinities and NaN included).
    static func float(fromHalf bits: UInt16) -> Float { Float(Float16(bitPattern: bits)) }

    /// Float -> binary16 bits, rounding to nearest even; overflow becomes infinity.
    static func half(from value: Float) -> UInt16 { Float16(value).bitPattern }

    /// BF16 bits -> Float (exact).
    static func float(fromBFloat16 bits: UInt16) -> Float { Float(bitPattern: UInt32(bits) << 16) }
}
