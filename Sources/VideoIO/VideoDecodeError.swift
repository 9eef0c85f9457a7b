/// Errors raised while opening or decoding a video.
public enum VideoDecodeError: Error, Equatable {
    case cannotOpen(path: String, reason: String)
}
