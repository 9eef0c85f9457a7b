/// A failure of a command's work that is not a flag problem (a step that failed, an input that is missing), with
/// what to do next. Unlike `ValidationError`, it is shown without the usage text: the flags were fine.
struct CommandFailure: Error, CustomStringConvertible {
    let message: String

    init(_ message: String) { self.message = message }

    var description: String { message }
}
