import Foundation
import Testing
import TestSupport

@Test("the fixture folder is present for Checkpoint tests")
func fixtureFolderPresentCheckpoint() {
    #expect(FileManager.default.fileExists(atPath: Fixtures.url("manifest.json").path))
}
