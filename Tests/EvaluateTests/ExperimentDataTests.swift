import Foundation
import TestSupport
import XCTest

@testable import Evaluate

/// The experiment's data checks: what is refused before any work, with the file and line, and the chance level.
final class ExperimentDataTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = try Fixtures.temporaryDirectory("experiment-data")
        for i in 0..<12 { FileManager.default.createFile(atPath: dir.appendingPathComponent("v\(i).mp4").path, contents: Data()) }
        try write("unlabeled.csv", "v0.mp4 0\nv1.mp4 0\n")
        for task in ["appearance", "motion"] {
            try write("\(task)/train.csv", "v2.mp4 0\nv3.mp4 1\nv4.mp4 2\nv5.mp4 0\n")
            try write("\(task)/val.csv", "v6.mp4 0\nv7.mp4 1\nv8.mp4 2\nv9.mp4 1\n")
        }
    }

    func write(_ relative: String, _ text: String) throws {
        let url = dir.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: true, encoding: .utf8)
    }

    func refusal(_ relative: String, _ text: String) throws -> String {
        try write(relative, text)
        do {
            _ = try ExperimentData.check(dir)
            XCTFail("\(relative) with \(text.debugDescription) was accepted")
            return ""
        } catch { return String(describing: error) }
    }

    func testValidDataGivesClassesCountsAndChanceFromTheData() throws {
        let data = try ExperimentData.check(dir)
        XCTAssertEqual(data.unlabeledVideos, 2)
        XCTAssertEqual(data.tasks.map(\.name), ["appearance", "motion"])
        XCTAssertEqual(data.tasks[0].classes, 3)
        XCTAssertEqual(data.tasks[0].trainVideos, 4)
        // The majority training class is 0 (two videos); it is 1 of the 4 validation videos.
        XCTAssertEqual(data.tasks[0].chance, 25, accuracy: 1e-12)
        XCTAssertEqual(data.tasks[0].trainSHA256.count, 64)
    }

    func testLabelsMustBeDenseWithEveryClassInTraining() throws {
        let message = try refusal("appearance/train.csv", "v2.mp4 0\nv3.mp4 2\nv4.mp4 0\n")
        XCTAssertTrue(message.contains("appearance/train.csv: class 1 has no training video"), message)
    }

    func testValidationLabelsMustBeTrainingClassesNamingTheLine() throws {
        let message = try refusal("motion/val.csv", "v6.mp4 0\n\nv7.mp4 3\n")
        XCTAssertTrue(message.contains("motion/val.csv:3: label 3 never appears in training"), message)
    }

    func testATaskNeedsTwoClasses() throws {
        let message = try refusal("motion/train.csv", "v2.mp4 0\nv3.mp4 0\n")
        XCTAssertTrue(message.contains("at least two are needed"), message)
    }

    func testAManifestOfBlankLinesIsRefused() throws {
        let message = try refusal("unlabeled.csv", "\n\n\r\n")
        XCTAssertTrue(message.contains("unlabeled.csv lists no video"), message)
    }

    func testAMissingVideoAndAnUnparsableLineAreRefusedWithTheirLine() throws {
        var message = try refusal("appearance/val.csv", "v6.mp4 0\r\nmissing.mp4 1\r\n")
        XCTAssertTrue(message.contains("appearance/val.csv:2: the video"), message)
        XCTAssertTrue(message.contains("missing.mp4 does not exist"), message)
        try write("appearance/val.csv", "v6.mp4 0\n")
        message = try refusal("unlabeled.csv", "v0.mp4 0\nv1 has spaces.mp4 0\n")
        XCTAssertTrue(message.contains("unlabeled.csv:2"), message)
        try write("unlabeled.csv", "v0.mp4 0\n")
        message = try refusal("motion/train.csv", "v2.mp4 1\nv3.mp4 -1\nv4.mp4 0\n")
        XCTAssertTrue(message.contains("motion/train.csv:2: label -1 is negative"), message)
    }

    func testAMissingManifestSaysWhatTheLayoutIs() throws {
        try FileManager.default.removeItem(at: dir.appendingPathComponent("motion/train.csv"))
        XCTAssertThrowsError(try ExperimentData.check(dir)) { error in
            XCTAssertTrue(String(describing: error).contains("motion/train.csv is missing"), "\(error)")
        }
    }

    func testCombinedManifestsShiftEachLaterTasksLabelsPastTheClassesBefore() throws {
        try write("motion/train.csv", "v2.mp4 1\nv3.mp4 0\n")
        try write("motion/val.csv", "v6.mp4 1\n")
        let data = try ExperimentData.check(dir)
        let both = try ExperimentData.combinedManifests(dir, tasks: data.tasks)
        XCTAssertEqual(both.train, "v2.mp4 0\nv3.mp4 1\nv4.mp4 2\nv5.mp4 0\nv2.mp4 4\nv3.mp4 3\n")
        XCTAssertEqual(both.val, "v6.mp4 0\nv7.mp4 1\nv8.mp4 2\nv9.mp4 1\nv6.mp4 4\n")
    }
}
