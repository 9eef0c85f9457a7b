/// Whether a synthetic class is told apart by how things look or by how they move.
public enum SyntheticClassKind: String, Codable, Sendable, CaseIterable {
    /// Shape or texture decides the class; the motion is random and shared with the other appearance classes.
    case appearance
    /// Direction, rotation sense or growth decides the class; a single frame cannot tell which.
    case motion
}

/// The shape drawn for a synthetic object.
public enum SyntheticShape: String, Codable, Sendable, CaseIterable {
    case disk, square, triangle, checkeredSquare, bar
}

/// How a synthetic object moves over the clip.
public enum SyntheticMotion: String, Codable, Sendable, CaseIterable {
    /// Constant velocity in a random direction (any angle), wrapping around the frame edges.
    case drift
    /// Horizontal translation to the right / left, wrapping around.
    case moveRight, moveLeft
    /// Rotation about the object's centre, clockwise / counter-clockwise on screen.
    case rotateClockwise, rotateCounterClockwise
    /// The object's length grows / shrinks geometrically over the clip.
    case grow, shrink
}

/// One class of the built-in synthetic dataset.
public struct SyntheticClass: Codable, Equatable, Sendable {
    public var label: Int
    public var name: String
    public var kind: SyntheticClassKind
    /// The shape every video of the class shows (`bar` for all motion classes).
    public var shape: SyntheticShape
    /// The motion every video of the class shows.
    public var motion: SyntheticMotion
    public var description: String
}

/// The default class list: 4 appearance classes (shape or texture; random drift) and 6 motion classes (a
/// bar at a random angle, colour, size and place; only its motion differs).
public enum SyntheticClasses {
    public static let all: [SyntheticClass] = [
        SyntheticClass(
            label: 0, name: "disk", kind: .appearance, shape: .disk, motion: .drift,
            description: "a drifting disk"),
        SyntheticClass(
            label: 1, name: "square", kind: .appearance, shape: .square, motion: .drift,
            description: "a drifting square at a random fixed angle"),
        SyntheticClass(
            label: 2, name: "triangle", kind: .appearance, shape: .triangle, motion: .drift,
            description: "a drifting triangle at a random fixed angle"),
        SyntheticClass(
            label: 3, name: "checkered_square", kind: .appearance, shape: .checkeredSquare, motion: .drift,
            description: "a drifting square with a two-tone checker texture"),
        SyntheticClass(
            label: 4, name: "move_right", kind: .motion, shape: .bar, motion: .moveRight,
            description: "a bar translating to the right"),
        SyntheticClass(
            label: 5, name: "move_left", kind: .motion, shape: .bar, motion: .moveLeft,
            description: "a bar translating to the left"),
        SyntheticClass(
            label: 6, name: "rotate_clockwise", kind: .motion, shape: .bar, motion: .rotateClockwise,
            description: "a bar rotating clockwise about its centre"),
        SyntheticClass(
            label: 7, name: "rotate_counterclockwise", kind: .motion, shape: .bar, motion: .rotateCounterClockwise,
            description: "a bar rotating counter-clockwise about its centre"),
        SyntheticClass(
            label: 8, name: "grow", kind: .motion, shape: .bar, motion: .grow,
            description: "a bar getting longer"),
        SyntheticClass(
            label: 9, name: "shrink", kind: .motion, shape: .bar, motion: .shrink,
            description: "a bar getting shorter")
    ]
}
