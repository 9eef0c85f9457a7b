import Foundation

/// Renders results as a plain-text table for the terminal: a header row, a rule, one row per result.
///
/// Columns: run, protocol, top-1, top-5, one column per subset (top-1, in order of first appearance), then
/// the train / evaluated / class counts. Text is left-aligned, numbers right-aligned, accuracies to 2 decimals.
/// A result without a given subset shows "-" in that column.
public func renderResultTable(_ results: [EvaluationResult]) -> String {
    var subsetNames: [String] = []
    for r in results { for s in r.subsets where !subsetNames.contains(s.name) { subsetNames.append(s.name) } }
    let header = ["run", "protocol", "top-1", "top-5"] + subsetNames.map { "\($0) top-1" } + ["train", "eval", "classes"]
    let rows: [[String]] = results.map { r in
        let subsets = subsetNames.map { name in
            r.subsets.first { $0.name == name }.map { String(format: "%.2f", $0.top1) } ?? "-"
        }
        return [r.run, r.evaluationProtocol.rawValue, String(format: "%.2f", r.top1), String(format: "%.2f", r.top5)]
            + subsets + [String(r.trainCount), String(r.evaluatedCount), String(r.classCount)]
    }
    let widths = header.indices.map { c in ([header] + rows).map { $0[c].count }.max() ?? 0 }
    func line(_ cells: [String]) -> String {
        cells.enumerated().map { c, cell in
            let pad = String(repeating: " ", count: widths[c] - cell.count)
            return c < 2 ? cell + pad : pad + cell
        }.joined(separator: "  ")
    }
    let rule = widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")
    return ([line(header), rule] + rows.map(line)).joined(separator: "\n") + "\n"
}
