import FeatureStore
import Foundation
import VideoIO

/// An experiment's data, checked before any work: `DIR/unlabeled.csv` and, per task, `DIR/TASK/{train,val}.csv`
/// (pipelines/experiment.sh, docs/experiment/README.md "Your own data").
///
/// Everything a later stage would stumble over is refused here, with the manifest and line: a line the tools cannot
/// parse, a video that is not there, a manifest without videos (blank lines only), labels that are not dense class
/// indices `0..<C` in training, validation labels that training never shows, a task with fewer than two classes. An
/// hour of training should not end on a typo, and a task whose validation set holds a class the classifier never saw
/// would measure nothing.
public struct ExperimentData: Codable, Equatable, Sendable {
    /// One labelled task, as the manifests give it.
    public struct Task: Codable, Equatable, Sendable {
        public var name: String
        /// Classes: the training labels are exactly `0..<classes`.
        public var classes: Int
        public var trainVideos: Int
        public var valVideos: Int
        /// Top-1 accuracy (%) of always answering the most frequent training class, measured on the validation set:
        /// what a classifier that learnt nothing reaches. With balanced classes it is 100 / classes.
        public var chance: Double
        /// SHA-256 of each manifest's bytes (a stage made from other labels is stale).
        public var trainSHA256: String
        public var valSHA256: String

        enum CodingKeys: String, CodingKey {
            case name, classes, chance
            case trainVideos = "train_videos", valVideos = "val_videos", trainSHA256 = "train_sha256", valSHA256 = "val_sha256"
        }
    }

    public var unlabeledVideos: Int
    public var unlabeledSHA256: String
    public var tasks: [Task]

    enum CodingKeys: String, CodingKey {
        case unlabeledVideos = "unlabeled_videos", unlabeledSHA256 = "unlabeled_sha256", tasks
    }

    /// The tasks of the experiment, in the order their results are reported.
    public static let taskNames = ["appearance", "motion"]

    /// Reads and checks `dir`'s manifests. `checkFiles` also requires every video to exist (paths relative to `dir`).
    public static func check(_ dir: URL, checkFiles: Bool = true) throws -> ExperimentData {
        let unlabeled = try load(dir, "unlabeled.csv", checkFiles: checkFiles)
        var tasks: [Task] = []
        for name in taskNames {
            let train = try load(dir, "\(name)/train.csv", checkFiles: checkFiles)
            let val = try load(dir, "\(name)/val.csv", checkFiles: checkFiles)
            tasks.append(try checkLabels(task: name, train: train, val: val))
        }
        return ExperimentData(unlabeledVideos: unlabeled.entries.count, unlabeledSHA256: unlabeled.sha256, tasks: tasks)
    }

    /// A parsed manifest with where it came from.
    struct LoadedManifest {
        var file: URL
        var entries: [ManifestEntry]
        /// 1-based line of each entry (blank lines are skipped, so entry i is not line i + 1).
        var lines: [Int]
        var sha256: String
    }

    static func load(_ dir: URL, _ relative: String, checkFiles: Bool) throws -> LoadedManifest {
        let file = dir.appendingPathComponent(relative)
        guard let data = FileManager.default.contents(atPath: file.path) else {
            throw ExperimentDataError.missingManifest(file: file.path)
        }
        let bytes = [UInt8](data)
        let entries = try Manifest.parse(bytes: bytes, dataRoot: dir.path, file: file.path)
        guard !entries.isEmpty else { throw ExperimentDataError.noVideos(file: file.path) }
        let lines = lineNumbers(bytes)
        if checkFiles {
            for (entry, line) in zip(entries, lines) where !FileManager.default.fileExists(atPath: entry.resolvedPath) {
                throw ExperimentDataError.missingVideo(file: file.path, line: line, path: entry.resolvedPath)
            }
        }
        return LoadedManifest(file: file, entries: entries, lines: lines, sha256: sha256Hex(bytes))
    }

    /// The 1-based numbers of the non-empty lines, with the line endings `Manifest.parse` accepts (LF, CRLF, CR).
    static func lineNumbers(_ bytes: [UInt8]) -> [Int] {
        var numbers: [Int] = []
        var line = 1, lineHasText = false, i = 0
        while i < bytes.count {
            let b = bytes[i]
            if b == 0x0A || b == 0x0D {
                if lineHasText { numbers.append(line) }
                if b == 0x0D, i + 1 < bytes.count, bytes[i + 1] == 0x0A { i += 1 }
                line += 1
                lineHasText = false
            } else {
                lineHasText = true
            }
            i += 1
        }
        if lineHasText { numbers.append(line) }
        return numbers
    }

    static func checkLabels(task: String, train: LoadedManifest, val: LoadedManifest) throws -> Task {
        for m in [train, val] {
            if let i = m.entries.firstIndex(where: { $0.label < 0 }) {
                throw ExperimentDataError.label(
                    file: m.file.path, line: m.lines[i], reason: "label \(m.entries[i].label) is negative; labels are class indices 0, 1, 2, …")
            }
        }
        var counts: [Int: Int] = [:]
        for e in train.entries { counts[e.label, default: 0] += 1 }
        let classes = (counts.keys.max() ?? -1) + 1
        guard classes <= Manifest.maxClassCount else {
            let i = train.entries.firstIndex { $0.label == classes - 1 }!
            throw ExperimentDataError.label(
                file: train.file.path, line: train.lines[i],
                reason: "label \(classes - 1) is above the \(Manifest.maxClassCount) classes a classifier may have")
        }
        if let missing = (0..<classes).first(where: { counts[$0] == nil }) {
            throw ExperimentDataError.label(
                file: train.file.path, line: 0,
                reason: "class \(missing) has no training video, but labels go up to \(classes - 1): labels must be dense "
                    + "(0..<C, every class in training); renumber the classes")
        }
        guard classes >= 2 else {
            throw ExperimentDataError.label(
                file: train.file.path, line: 0,
                reason: "the \(task) task has \(classes) class; at least two are needed for anything to be learnt or measured")
        }
        if let i = val.entries.firstIndex(where: { $0.label >= classes }) {
            throw ExperimentDataError.label(
                file: val.file.path, line: val.lines[i],
                reason: "label \(val.entries[i].label) never appears in training (classes 0..<\(classes)); a classifier "
                    + "cannot predict a class it never saw")
        }
        // The majority class of training, scored on validation: with balanced classes 100 / C.
        let majority = counts.max { ($0.value, -$0.key) < ($1.value, -$1.key) }!.key
        let hits = val.entries.filter { $0.label == majority }.count
        return Task(
            name: task, classes: classes, trainVideos: train.entries.count, valVideos: val.entries.count,
            chance: 100 * Double(hits) / Double(val.entries.count), trainSHA256: train.sha256, valSHA256: val.sha256)
    }

    /// `train` and `val` manifests of one combined task: the first task's labels as they are, each later task's
    /// shifted past the classes before it (the transfer teacher learns every task at once).
    public static func combinedManifests(_ dir: URL, tasks: [Task]) throws -> (train: String, val: String) {
        var offset = 0
        var train: [(path: String, label: Int)] = [], val: [(path: String, label: Int)] = []
        for task in tasks {
            for (split, isTrain) in [("train", true), ("val", false)] {
                let entries = try load(dir, "\(task.name)/\(split).csv", checkFiles: false).entries
                let rows = entries.map { (path: $0.path, label: $0.label + offset) }
                if isTrain { train += rows } else { val += rows }
            }
            offset += task.classes
        }
        return (Manifest.format(train), Manifest.format(val))
    }
}

/// What is wrong with an experiment's data; the message names the file (and line) and what to do.
public enum ExperimentDataError: Error, CustomStringConvertible, Equatable {
    case missingManifest(file: String)
    case noVideos(file: String)
    case missingVideo(file: String, line: Int, path: String)
    case label(file: String, line: Int, reason: String)

    public var description: String {
        switch self {
        case .missingManifest(let file):
            return "\(file) is missing; an experiment's data folder holds unlabeled.csv and appearance/ and motion/, each "
                + "with train.csv and val.csv (pipelines/experiment.sh --help)"
        case .noVideos(let file):
            return "\(file) lists no video (it is empty or holds only blank lines); each line is `<path> <label>`"
        case .missingVideo(let file, let line, let path):
            return "\(file):\(line): the video \(path) does not exist (paths are relative to the data folder)"
        case .label(let file, let line, let reason):
            return line > 0 ? "\(file):\(line): \(reason)" : "\(file): \(reason)"
        }
    }
}

/// Lowercase hex SHA-256 of `bytes` (the manifests' fingerprints; not a security boundary).
func sha256Hex(_ bytes: [UInt8]) -> String {
    var h = SHA256()
    h.update(bytes)
    return h.finalize().map { String(format: "%02x", $0) }.joined()
}
