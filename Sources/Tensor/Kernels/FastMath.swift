/// Vectorised exp and erf for the elementwise kernels (softmax, GELU), 16 lanes at a time.
///
/// exp: x = n·ln2 + r with |r| ≤ ln2/2, e^r by a degree-7 polynomial (truncation < 1e-8 relative), 2ⁿ built
/// in the exponent bits. erf: the Numerical Recipes erfc Chebyshev fit (fractional error < 1.2e-7).
/// Both are accurate to a few float32 ulps, far inside the fixtures' tolerances.
public typealias FloatLanes = SIMD16<Float>

@inlinable
public func vectorExp(_ x: FloatLanes) -> FloatLanes {
    let low = FloatLanes(repeating: -87.0), high = FloatLanes(repeating: 88.0)
    let clamped = x.replacing(with: low, where: x .< low).replacing(with: high, where: x .> high)
    // Round to nearest with the 1.5·2²³ trick: the integer lands in the low mantissa bits (no generic
    // float→int conversion, which Swift does not vectorise).
    let magic = FloatLanes(repeating: 12_582_912)
    let shifted = clamped * 1.442695040888963 + magic
    let n = shifted - magic
    let r = clamped - n * 0.693145751953125 - n * 1.428606765330187e-06
    var p = FloatLanes(repeating: 1.0 / 5040)
    p = p * r + 1.0 / 720
    p = p * r + 1.0 / 120
    p = p * r + 1.0 / 24
    p = p * r + 1.0 / 6
    p = p * r + 0.5
    p = p * r + 1
    p = p * r + 1
    let integer = unsafeBitCast(shifted, to: SIMD16<Int32>.self) &- unsafeBitCast(magic, to: SIMD16<Int32>.self)
    let bits = (integer &+ 127) &<< 23
    return p * unsafeBitCast(bits, to: FloatLanes.self)
}

@inlinable
public func vectorErf(_ x: FloatLanes) -> FloatLanes {
    let z = x.replacing(with: -x, where: x .< 0)
    let t = 1 / (1 + 0.5 * z)
    var poly = FloatLanes(repeating: 0.17087277)
    poly = poly * t - 0.82215223
    poly = poly * t + 1.48851587
    poly = poly * t - 1.13520398
    poly = poly * t + 0.27886807
    poly = poly * t - 0.18628806
    poly = poly * t + 0.09678418
    poly = poly * t + 0.37409196
    poly = poly * t + 1.00002368
    poly = poly * t - 1.26551223
    let erfc = t * vectorExp(-z * z + poly)
    let magnitude = 1 - erfc
    return magnitude.replacing(with: -magnitude, where: x .< 0)
}

/// Applies a 16-lane function over `n` floats from `src` into `dst` (the tail is padded).
@inlinable
public func mapLanes(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ n: Int,
                     _ f: (FloatLanes) -> FloatLanes) {
    var i = 0
    while i + 16 <= n {
        let v = UnsafeRawPointer(src + i).loadUnaligned(as: FloatLanes.self)
        UnsafeMutableRawPointer(dst + i).storeBytes(of: f(v), as: FloatLanes.self)
        i += 16
    }
    if i < n {
        var v = FloatLanes(repeating: 0)
        for j in 0..<(n - i) { v[j] = src[i + j] }
        let y = f(v)
        for j in 0..<(n - i) { dst[i + j] = y[j] }
    }
}
