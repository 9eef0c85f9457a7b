import Foundation
import Testing
import TestSupport

@Test("the fixture folder is present for VideoIO tests")
func fixtureFolderPresentVideoIO() {
    #expect(FileManager.default.fileExists(atPath: Fixtures.url("manifest.json").path))
}
