/// Errors raised while reading or mapping checkpoint files.
public enum WeightLoadError: Error, Equatable {
    case unreadable(path: String, reason: String)
}
