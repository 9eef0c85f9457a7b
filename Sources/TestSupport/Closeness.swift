import Foundation

/// The result of comparing two float arrays element-wise under `|a - e| <= atol + rtol * |e|`.
///
/// Tests assert `report.ok` and print `report.description`, which names the first few elements and the
/// largest difference, so a failing comparison says where it failed.
public struct CloseReport: CustomStringConvertible, Sendable {
    public let ok: Bool
    public let count: Int
    public let failures: Int
    public let maxAbsDiff: Double
    public let worstIndex: Int
    public let label: String
    public let preview: String

    public var description: String {
        "\(label): \(ok ? "ok" : "MISMATCH") — \(failures)/\(count) outside tolerance, max |diff| \(maxAbsDiff) at [\(worstIndex)]; \(preview)"
    }
}

/// Compares `actual` with `expected` under a fixed absolute and relative tolerance (never derived from the data).
public func closeness<A: Collection, E: Collection>(
    _ actual: A, _ expected: E, atol: Double, rtol: Double, label: String = "values"
) -> CloseReport where A.Element: BinaryFloatingPoint, E.Element: BinaryFloatingPoint {
    let a = actual.map { Double($0) }
    let e = expected.map { Double($0) }
    guard a.count == e.count else {
        return CloseReport(
            ok: false, count: max(a.count, e.count), failures: max(a.count, e.count),
            maxAbsDiff: .infinity, worstIndex: -1, label: label,
            preview: "count mismatch: actual \(a.count) vs expected \(e.count)")
    }
    var failures = 0, maxDiff = 0.0, worst = 0
    for i in 0..<a.count {
        let d = abs(a[i] - e[i])
        let bad = !(d <= atol + rtol * abs(e[i]))  // NaN counts as a failure
        if bad { failures += 1 }
        if d > maxDiff || d.isNaN {
            maxDiff = d.isNaN ? .nan : d
            worst = i
        }
    }
    let n = min(5, a.count)
    let preview = "first \(n): actual \(a.prefix(n).map { String(format: "%.6g", $0) }) expected \(e.prefix(n).map { String(format: "%.6g", $0) })"
    return CloseReport(
        ok: failures == 0 && a.count > 0, count: a.count, failures: failures, maxAbsDiff: maxDiff,
        worstIndex: worst, label: label, preview: preview)
}
