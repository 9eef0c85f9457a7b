import CFFmpeg

/// Converts decoded `AVFrame`s of any pixel format to packed RGB24 bytes at a fixed output size.
///
/// swscale writes into an aligned scratch buffer (its SIMD paths want 16-byte aligned rows), and the rows
/// are then copied into a tight `[UInt8]` of `height * width * 3` bytes.
final class RGBConverter {
    let width: Int
    let height: Int
    private var context: OpaquePointer?
    private let stride: Int
    private let scratch: UnsafeMutablePointer<UInt8>

    init(width: Int, height: Int) {
        self.width = width
        self.height = height
        stride = (width * 3 + 63) & ~63
        scratch = UnsafeMutablePointer<UInt8>.allocate(capacity: stride * height + 64)
    }

    deinit {
        sws_freeContext(context)
        scratch.deallocate()
    }

    /// The frame as (H, W, 3) bytes, or nil when the frame is empty (swscale aborts on empty frames) or the
    /// conversion fails.
    func convert(_ frame: UnsafeMutablePointer<AVFrame>) -> [UInt8]? {
        let f = frame.pointee
        guard f.format >= 0, f.width > 0, f.height > 0 else { return nil }
        let flags = SWS_BILINEAR | SWS_ACCURATE_RND
        context = sws_getCachedContext(
            context, f.width, f.height, AVPixelFormat(rawValue: f.format),
            Int32(width), Int32(height), AV_PIX_FMT_RGB24, flags, nil, nil, nil)
        guard let context else { return nil }
        var dstPointers: [UnsafeMutablePointer<UInt8>?] = [scratch, nil, nil, nil]
        var dstStrides: [Int32] = [Int32(stride), 0, 0, 0]
        let rows = withUnsafePointer(to: &frame.pointee.data) { data in
            data.withMemoryRebound(to: UnsafePointer<UInt8>?.self, capacity: 8) { src in
                withUnsafePointer(to: &frame.pointee.linesize) { lines in
                    lines.withMemoryRebound(to: Int32.self, capacity: 8) { srcStrides in
                        sws_scale(context, src, srcStrides, 0, f.height, &dstPointers, &dstStrides)
                    }
                }
            }
        }
        guard rows == Int32(height) else { return nil }
        var out = [UInt8](repeating: 0, count: width * height * 3)
        out.withUnsafeMutableBufferPointer { dst in
            for y in 0..<height {
                (dst.baseAddress! + y * width * 3).update(from: scratch + y * stride, count: width * 3)
            }
        }
        return out
    }
}
