/* FFmpeg 5.1. AVERROR(), AVERROR_EOF, AV_NOPTS_VALUE, AV_TIME_BASE_Q and av_err2str are macros Swift cannot
   import; they are wrapped here as static inline functions. */
#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libswscale/swscale.h>
#include <libavutil/avutil.h>
#include <libavutil/imgutils.h>
#include <libavutil/error.h>
#include <libavutil/opt.h>
#include <errno.h>

static inline int        swav_AVERROR(int e)          { return AVERROR(e); }
static inline int        swav_AVERROR_EOF(void)       { return AVERROR_EOF; }
static inline int        swav_EAGAIN(void)            { return AVERROR(EAGAIN); }
static inline int64_t    swav_NOPTS_VALUE(void)       { return AV_NOPTS_VALUE; }
static inline AVRational swav_TIME_BASE_Q(void)       { return AV_TIME_BASE_Q; }
static inline int        swav_TIME_BASE(void)         { return AV_TIME_BASE; }
static inline const char *swav_err2str(int err, char *buf, size_t n) { av_strerror(err, buf, n); return buf; }

/* Error tags built with FFERRTAG (not importable) and the log level used by VideoIO's quiet mode. */
static inline int swav_AVERROR_INVALIDDATA(void)       { return AVERROR_INVALIDDATA; }
static inline int swav_AVERROR_STREAM_NOT_FOUND(void)  { return AVERROR_STREAM_NOT_FOUND; }
static inline int swav_AVERROR_DECODER_NOT_FOUND(void) { return AVERROR_DECODER_NOT_FOUND; }
static inline int swav_AVERROR_ENCODER_NOT_FOUND(void) { return AVERROR_ENCODER_NOT_FOUND; }
static inline int swav_AVERROR_ENOENT(void)            { return AVERROR(ENOENT); }
