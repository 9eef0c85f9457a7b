import Foundation
import TestSupport
import Testing

@testable import Checkpoint

/// Programs that nest containers 100 000 levels deep, each built a different way. Parsing, walking and
/// freeing their object graphs must not recurse on the depth, or they overflow the stack.
enum DeepPickles {
    static let depth = 100_000
    static let proto: [UInt8] = [0x80, 2]
    static let globalX = Array("c__main__\nX\nq\u{0}".utf8)  // GLOBAL __main__.X, BINPUT 0

    /// `]`×n `a`×(n−1): each list appended to the one below it.
    static let lists =
        proto + [UInt8](repeating: UInt8(ascii: "]"), count: depth)
        + [UInt8](repeating: UInt8(ascii: "a"), count: depth - 1) + [UInt8(ascii: ".")]
    /// `)` then TUPLE1×n: ((((),),),).
    static let tuples = proto + [UInt8(ascii: ")")] + [UInt8](repeating: 0x85, count: depth) + [UInt8(ascii: ".")]
    /// `}` (K 0 `}`)×n `s`×n: {0: {0: {…}}}.
    static let dicts =
        proto + [UInt8(ascii: "}")] + [UInt8(ascii: "K"), 0, UInt8(ascii: "}")].repeated(depth)
        + [UInt8](repeating: UInt8(ascii: "s"), count: depth) + [UInt8(ascii: ".")]
    /// X() n+1 times, then BUILD×n: each object's state is the next object.
    static let builds =
        proto + globalX + [UInt8(ascii: "0")]
        + [UInt8(ascii: "h"), 0, UInt8(ascii: ")"), UInt8(ascii: "R")].repeated(depth + 1)
        + [UInt8](repeating: UInt8(ascii: "b"), count: depth) + [UInt8(ascii: ".")]
    /// X pushed n times, then None, then (TUPLE1, REDUCE)×n: X(X(X(…X(None)))).
    static let reduces =
        proto + globalX + [UInt8(ascii: "0")] + [UInt8(ascii: "h"), 0].repeated(depth)
        + [UInt8(ascii: "N")] + [0x85, UInt8(ascii: "R")].repeated(depth) + [UInt8(ascii: ".")]

    static let all: [(name: String, program: [UInt8])] = [
        ("lists", lists), ("tuples", tuples), ("dicts", dicts), ("builds", builds), ("reduces", reduces)
    ]
}

extension Array {
    func repeated(_ count: Int) -> [Element] { Array([[Element]](repeating: self, count: count).joined()) }
}

@Test("the nested-list pickle kept as a fuzz regression is the one that overflowed the stack")
func nestedListRegressionFile() throws {
    let kept = try #require(MutationFuzzer.regressions("pickle").first { $0.name == "nested-lists.pkl" })
    #expect(kept.bytes == DeepPickles.lists)
}

@Test(
    "a checkpoint whose data.pkl nests 100 000 containers is refused as too deep, not a stack overflow",
    arguments: DeepPickles.all.map(\.name))
func deeplyNestedCheckpoint(_ name: String) throws {
    let program = try #require(DeepPickles.all.first { $0.name == name }).program
    let url = try Fixtures.temporaryDirectory("deep-pickle").appendingPathComponent("\(name).pth")
    try TorchCheckpoint.writeArchive(pickle: program, storages: [], to: url)
    // The entry points of extract-features and evaluate --checkpoint (CheckpointFile.load) and of TorchCheckpoint.
    for load in [{ _ = try CheckpointFile.load(url) }, { _ = try TorchCheckpoint.loadObject(url) }] {
        let error = try #require(throws: WeightLoadError.self) { try load() }
        #expect(error.description.contains("nested deeper than \(PickleFreezer.maximumDepth) levels"), "\(error)")
    }
}

@Test(
    "the unpickler's graph of 100 000 nested containers is built and released without recursion",
    arguments: DeepPickles.all.map(\.name))
func deeplyNestedGraphIsReleased(_ name: String) throws {
    let program = try #require(DeepPickles.all.first { $0.name == name }).program
    var unpickler = Unpickler(program, path: "deep.pth") { _ in .value(.none) }
    let graph = try unpickler.load()
    #expect(graph.nodes.count >= DeepPickles.depth)
}

@Test("nesting just under the depth limit still decodes")
func nestingUnderTheLimit() throws {
    let depth = PickleFreezer.maximumDepth - 1
    let program =
        DeepPickles.proto + [UInt8](repeating: UInt8(ascii: "]"), count: depth)
        + [UInt8](repeating: UInt8(ascii: "a"), count: depth - 1) + [UInt8(ascii: ".")]
    var unpickler = Unpickler(program, path: "p") { _ in .value(.none) }
    var value = try PickleFreezer(path: "p").freeze(try unpickler.load())
    var levels = 1
    while case let .list(items) = value, let inner = items.first {
        value = inner
        levels += 1
    }
    #expect(levels == depth)
}

@Test("a list shared with itself 64 times over is refused at once instead of expanding to 2^64 values")
func exponentialSharing() throws {
    // x = []; then 64 times: BINPUT 0, MARK, BINGET 0, BINGET 0, LIST -> x = [x, x]
    let step: [UInt8] = [UInt8(ascii: "q"), 0, UInt8(ascii: "("), UInt8(ascii: "h"), 0, UInt8(ascii: "h"), 0, UInt8(ascii: "l")]
    let program = DeepPickles.proto + [UInt8(ascii: "]")] + step.repeated(64) + [UInt8(ascii: ".")]
    var unpickler = Unpickler(program, path: "p") { _ in .value(.none) }
    let started = Date()
    let error = try #require(throws: WeightLoadError.self) { _ = try PickleFreezer(path: "p").freeze(try unpickler.load()) }
    #expect(error.description.contains("expands to more than"), "\(error)")
    #expect(Date().timeIntervalSince(started) < 5)
}

@Test("an object shared by several containers is decoded once per reference, with equal values")
func sharedObjects() throws {
    // x = [1]; root = (x, x, x)
    let program =
        DeepPickles.proto + [
            UInt8(ascii: "]"), UInt8(ascii: "K"), 1, UInt8(ascii: "a"), UInt8(ascii: "q"), 0,
            UInt8(ascii: "h"), 0, UInt8(ascii: "h"), 0, 0x87, UInt8(ascii: ".")
        ]
    var unpickler = Unpickler(program, path: "p") { _ in .value(.none) }
    let value = try PickleFreezer(path: "p").freeze(try unpickler.load())
    #expect(value == .tuple([.list([.int(1)]), .list([.int(1)]), .list([.int(1)])]))
}
