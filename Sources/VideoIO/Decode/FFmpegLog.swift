import CFFmpeg

/// FFmpeg's own console messages (warnings about corrupt data, unaligned buffers...). They go to stderr
/// through `av_log`; executables and tests can turn them down, libraries never change them on their own.
public enum FFmpegLog {
    /// How much FFmpeg prints.
    public enum Level: Sendable {
        case quiet, error, warning, info

        var value: Int32 {
            switch self {
            case .quiet: return AV_LOG_QUIET
            case .error: return AV_LOG_ERROR
            case .warning: return AV_LOG_WARNING
            case .info: return AV_LOG_INFO
            }
        }
    }

    /// Sets FFmpeg's process-wide log level.
    public static func setLevel(_ level: Level) {
        av_log_set_level(level.value)
    }
}
