// Cache throughput benchmark: float16 rows written to and read from the feature cache (and the same rows read
// from an int8 cache), against plain FileHandle I/O of the same bytes in the same folder.
//
// usage: featurestore-bench [FOLDER] [ROWS]   (default: the current folder, 64 rows per shape)
import Benchmarks
import FeatureStore
import Foundation

let arguments = CommandLine.arguments
let folder = URL(fileURLWithPath: arguments.count > 1 ? arguments[1] : FileManager.default.currentDirectoryPath)
let rows = arguments.count > 2 ? Int(arguments[2]) ?? 64 : 64
do {
    print("featurestore-bench: \(rows) rows per shape in \(folder.path)")
    for result in try FeatureStoreBenchmark.run(directory: folder, rows: rows) { print(result) }
} catch {
    FileHandle.standardError.write(Data("featurestore-bench: \(error)\n".utf8))
    exit(1)
}
