/// Errors raised by the feature cache.
public enum FeatureStoreError: Error, Equatable {
    case cannotOpen(path: String, reason: String)
}
