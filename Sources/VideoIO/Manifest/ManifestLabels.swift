import Foundation

extension Manifest {
    /// The largest number of classes a manifest may index. Labels are dense class indices: a classifier holds one
    /// output per class, so a stray large label (an id, a timestamp) would otherwise ask for gigabytes of weights
    /// or overflow the class count.
    public static let maxClassCount = 100_000

    /// Checks that every label lies in 0..<`maxClassCount`; the error names the manifest line, its path and label.
    /// `file` is the manifest the entries were loaded from, read again only to find the line of a bad entry.
    public static func checkLabels(_ entries: [ManifestEntry], file: URL) throws(ManifestError) {
        guard let bad = entries.firstIndex(where: { $0.label < 0 || $0.label >= maxClassCount }) else { return }
        let entry = entries[bad]
        throw ManifestError(
            file: file.path, line: lineNumber(ofEntry: bad, in: file),
            reason: "label \(entry.label) of \(entry.path) is not a class index in 0..<\(maxClassCount); "
                + "labels must be dense class indices (0, 1, 2, …), so renumber the classes")
    }

    /// The 1-based line of the `index`-th entry (empty lines hold no entry); 0 when the file cannot be read.
    private static func lineNumber(ofEntry index: Int, in file: URL) -> Int {
        guard let bytes = try? Data(contentsOf: file) else { return 0 }
        var seen = 0
        for (number, line) in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated()
        where !line.allSatisfy({ $0 == UInt8(ascii: "\r") }) {
            if seen == index { return number + 1 }
            seen += 1
        }
        return 0
    }
}
