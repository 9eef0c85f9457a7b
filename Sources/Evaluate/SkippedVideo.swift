import Foundation

/// A manifest video an evaluation could not use (it failed to open or decode), with the reason. Results carry the
/// list so that an accuracy is never read as one over the whole manifest when it was over a part of it.
public struct SkippedVideo: Codable, Equatable, Sendable {
    /// The path as the manifest gives it.
    public var path: String
    public var reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }
}
