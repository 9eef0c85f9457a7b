import Foundation
import TestSupport
import Testing

@testable import Checkpoint

@Test(
    "a safetensors header nesting 100 000 JSON arrays or objects is refused, not a stack overflow",
    arguments: ["[", "{\"a\":"])
func deeplyNestedSafeTensorsHeader(_ opening: String) throws {
    let header = String(repeating: opening, count: 100_000)
    let url = try temporaryFile(safeTensorsBytes("{\"x\":" + header, dataBytes: 0), name: "deep.safetensors")
    let error = try #require(throws: WeightLoadError.self) { try CheckpointFile.load(url) }
    #expect(error.description.contains("invalid safetensors header"), "\(error)")
}
