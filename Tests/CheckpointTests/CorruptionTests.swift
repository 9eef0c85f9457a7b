import Foundation
import TestSupport
import Testing

@testable import Checkpoint

@Test("hundreds of random byte corruptions of a real data.pkl either decode or throw WeightLoadError")
func mutatedPicklesNeverCrash() throws {
    let archive = try ZipArchive(data: Data(contentsOf: Fixtures.url("finetune_checkpoint.pth")), path: "f.pth")
    let pickleEntry = try #require(archive.entries.first { $0.name.hasSuffix("/data.pkl") })
    let original = [UInt8](try archive.contents(of: pickleEntry))
    var random = TestRandom(seed: 2024)
    var outcomes = (decoded: 0, refused: 0)
    for _ in 0..<400 {
        var program = original
        for _ in 0..<(1 + Int(random.next() % 3)) {
            program[Int(random.next() % UInt64(program.count))] = UInt8(truncatingIfNeeded: random.next())
        }
        var unpickler = Unpickler(program, path: "f.pth") { _ in
            // A stand-in storage of 1024 float32 zeros for every persistent id.
            .storage(.init(className: "FloatStorage", key: "0", dtype: .float32, bytes: Data(count: 4096)))
        }
        do {
            let freezer = PickleFreezer(path: "f.pth")
            _ = try freezer.freeze(try unpickler.load())
            outcomes.decoded += 1
        } catch is WeightLoadError {
            outcomes.refused += 1
        }
    }
    #expect(outcomes.decoded + outcomes.refused == 400)
    #expect(outcomes.refused > 100, "most corruptions should be detected: \(outcomes)")
}

@Test("random byte corruptions of a whole .pth file either load or throw WeightLoadError")
func mutatedFilesNeverCrash() throws {
    let original = try Data(contentsOf: Fixtures.url("finetune_checkpoint.pth"))
    let url = try Fixtures.temporaryDirectory("corrupt").appendingPathComponent("m.pth")
    var random = TestRandom(seed: 99)
    var refused = 0
    for _ in 0..<150 {
        var bytes = original
        // Corrupt inside the zip structures at the end of the file half of the time, anywhere otherwise.
        let tail = random.next() % 2 == 0
        let span = tail ? 4000 : bytes.count
        let position = bytes.count - span + Int(random.next() % UInt64(span))
        bytes[position] = UInt8(truncatingIfNeeded: random.next())
        try bytes.write(to: url)
        do { _ = try CheckpointFile.load(url) } catch is WeightLoadError { refused += 1 }
    }
    #expect(refused > 20, "zip structure corruptions should be detected (\(refused) of 150)")
}
