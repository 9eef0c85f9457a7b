import ArgumentParser
import Foundation

/// A flag value that is a comma-separated list, such as `--protocol knn,linear` or `--loss smooth-l1,l2`: parsed
/// element by element when the command line is read, so that a bad element is refused with its flag before anything
/// runs.
public struct CommaSeparated<Element: ExpressibleByArgument>: ExpressibleByArgument {
    public var values: [Element]

    public init(_ values: [Element]) { self.values = values }

    public init?(argument: String) {
        var values: [Element] = []
        for part in argument.split(separator: ",", omittingEmptySubsequences: false) {
            guard let value = Element(argument: part.trimmingCharacters(in: .whitespaces)) else { return nil }
            values.append(value)
        }
        self.values = values
    }

    public var defaultValueDescription: String { values.map(\.defaultValueDescription).joined(separator: ",") }
}

extension CommaSeparated: Equatable where Element: Equatable {}
extension CommaSeparated: Sendable where Element: Sendable {}
