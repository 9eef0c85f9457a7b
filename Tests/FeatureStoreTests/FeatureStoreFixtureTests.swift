import Foundation
import TestSupport
import Testing

@Test("the fixture folder is present for FeatureStore tests")
func fixtureFolderPresentFeatureStore() {
    #expect(FileManager.default.fileExists(atPath: Fixtures.url("manifest.json").path))
}
