/// Linear layer kernels (PyTorch layout): y[R, O] = x[R, I] · W[O, I]ᵀ + b[O].

/// Forward. x: [..., I], weight: [O, I], bias: [O] or nil. Returns [..., O]. Saves nothing (backward needs x).
public func linearForward(_ x: Tensor, weight: Tensor, bias: Tensor?) -> Tensor {
    let inF = weight.shape[1], outF = weight.shape[0]
    precondition(x.lastDimension == inF, "linear: input \(x.shape) does not end in \(inF) (weight \(weight.shape))")
    let rows = x.rowCount
    var y = Tensor(unfilled: Array(x.shape.dropLast()) + [outF])
    guard rows > 0 else { return y }
    let precision = ComputePrecision.current
    // Packed weights (inside a `WeightPacks` scope), the bias added by the product itself.
    if packedProduct(into: &y, x, weight, transposed: true, bias: bias, precision: precision) { return y }
    x.withUnsafeBufferPointer { px in
        weight.withUnsafeBufferPointer { pw in
            y.withUnsafeMutableBufferPointer { py in
                gemm(
                    transB: true, m: rows, n: outF, k: inF, a: px.baseAddress!, lda: inF,
                    b: pw.baseAddress!, ldb: inF, c: py.baseAddress!, ldc: outF, precision: precision)
            }
        }
    }
    if let bias { addRowVector(&y, bias) }
    return y
}

/// out = a · op(W) (+ bias) with packed weights, when products in `precision` go to oneDNN (fp32 may be sent to
/// OpenBLAS for side-by-side benchmarks) and `packedProduct` applies; false otherwise.
private func packedProduct(
    into out: inout Tensor, _ a: Tensor, _ weight: Tensor, transposed: Bool, bias: Tensor?, precision: Precision
) -> Bool {
    guard precision == .bf16 || MatrixBackend.fp32 == .oneDNN else { return false }
    return a.withUnsafeBufferPointer { pa in
        out.withUnsafeMutableBufferPointer { po in
            withOptionalPointer(bias) { pb in
                packedProduct(
                    weight, transposed: transposed, rows: a.rowCount, a: pa.baseAddress!, bias: pb, c: po.baseAddress!, precision: precision)
            }
        }
    }
}

/// `body` with a pointer to `tensor`'s elements, or with nil.
func withOptionalPointer<R>(_ tensor: Tensor?, _ body: (UnsafePointer<Float>?) -> R) -> R {
    guard let tensor else { return body(nil) }
    return tensor.withUnsafeBufferPointer { body($0.baseAddress) }
}

/// Backward. Accumulates dW += dyᵀ·x and db += Σ_rows dy; returns dx = dy·W (nil when `needInputGrad` is false).
public func linearBackward(
    _ dy: Tensor, input x: Tensor, weight: Tensor, dWeight: UnsafeMutablePointer<Float>,
    dBias: UnsafeMutablePointer<Float>?, needInputGrad: Bool = true
) -> Tensor? {
    let inF = weight.shape[1], outF = weight.shape[0]
    let rows = x.rowCount
    precondition(dy.rowCount == rows && dy.lastDimension == outF, "linear backward: dy \(dy.shape) vs x \(x.shape), W \(weight.shape)")
    dy.withUnsafeBufferPointer { pdy in
        x.withUnsafeBufferPointer { px in
            gemm(
                transA: true, m: outF, n: inF, k: rows, a: pdy.baseAddress!, lda: outF,
                b: px.baseAddress!, ldb: inF, beta: 1, c: dWeight, ldc: inF)
        }
    }
    if let dBias { accumulateColumnSums(dy, into: dBias) }
    guard needInputGrad else { return nil }
    var dx = Tensor(unfilled: x.shape)
    guard rows > 0 else { return dx }
    let precision = ComputePrecision.current
    if packedProduct(into: &dx, dy, weight, transposed: false, bias: nil, precision: precision) { return dx }
    dy.withUnsafeBufferPointer { pdy in
        weight.withUnsafeBufferPointer { pw in
            dx.withUnsafeMutableBufferPointer { pdx in
                gemm(
                    m: rows, n: inF, k: outF, a: pdy.baseAddress!, lda: outF, b: pw.baseAddress!, ldb: inF,
                    c: pdx.baseAddress!, ldc: inF, precision: precision)
            }
        }
    }
    return dx
}

/// y[r, :] += v for every row r.
public func addRowVector(_ y: inout Tensor, _ v: Tensor) {
    let cols = y.lastDimension, rows = y.rowCount
    precondition(v.count == cols, "row vector of \(v.count) added to rows of \(cols)")
    v.withUnsafeBufferPointer { pv in
        y.withUnsafeMutableBufferPointer { py in
            let b = pv.baseAddress!, out = py.baseAddress!
            parallelRanges(rows, grain: rowGrain(rowCost: cols)) { r in
                for i in r {
                    let row = out + i * cols
                    for j in 0..<cols { row[j] += b[j] }
                }
            }
        }
    }
}

/// out[j] += Σ_r x[r, j], summed over fixed column blocks (each column in row order): deterministic.
public func accumulateColumnSums(_ x: Tensor, into out: UnsafeMutablePointer<Float>) {
    let cols = x.lastDimension, rows = x.rowCount
    x.withUnsafeBufferPointer { px in
        let base = px.baseAddress!
        parallelRanges(cols, grain: 64) { cr in
            var acc = [Float](repeating: 0, count: cr.count)
            for r in 0..<rows {
                let row = base + r * cols + cr.lowerBound
                for j in 0..<cr.count { acc[j] += row[j] }
            }
            for j in 0..<cr.count { out[cr.lowerBound + j] += acc[j] }
        }
    }
}
