extension Fixtures {
    /// The description of the error `body` throws, or "" when it throws none: for tests that check what a refusal says.
    public static func errorMessage(_ body: () throws -> Void) -> String {
        do {
            try body()
            return ""
        } catch {
            return "\(error)"
        }
    }
}
