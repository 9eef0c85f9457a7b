/// A clip of RGB frames as bytes: layout (T, H, W, 3), row-major, channels last, RGB order.
///
/// Pixel (t, y, x), channel c lives at `pixels[((t * height + y) * width + x) * 3 + c]`. This is what the
/// decoder returns (`VideoReader.frames(at:)`), what the crop/resize functions take and return, and what the
/// feature cache stores as `/pixels`. Use `normalizedChannelsFirst()` for the (3, T, H, W) float layout
/// the models take.
public struct Clip: Equatable, Sendable {
    /// T, the number of frames.
    public let frameCount: Int
    /// H, rows per frame.
    public let height: Int
    /// W, columns per frame.
    public let width: Int
    /// (T, H, W, 3) bytes.
    public var pixels: [UInt8]

    /// A clip holding `pixels`, whose count must be `frameCount * height * width * 3`.
    public init(frameCount: Int, height: Int, width: Int, pixels: [UInt8]) {
        precondition(frameCount >= 0 && height >= 0 && width >= 0, "negative clip size \(frameCount)x\(height)x\(width)")
        precondition(
            pixels.count == frameCount * height * width * 3,
            "clip (\(frameCount), \(height), \(width), 3) needs \(frameCount * height * width * 3) bytes, got \(pixels.count)")
        self.frameCount = frameCount
        self.height = height
        self.width = width
        self.pixels = pixels
    }

    /// A black clip of the given size.
    public init(frameCount: Int, height: Int, width: Int) {
        self.init(
            frameCount: frameCount, height: height, width: width,
            pixels: [UInt8](repeating: 0, count: frameCount * height * width * 3))
    }

    /// Bytes in one frame (H * W * 3).
    public var frameByteCount: Int { height * width * 3 }

    /// The bytes of frame `t`, (H, W, 3).
    public func frame(_ t: Int) -> ArraySlice<UInt8> {
        precondition(t >= 0 && t < frameCount, "frame \(t) out of range 0..<\(frameCount)")
        return pixels[(t * frameByteCount)..<((t + 1) * frameByteCount)]
    }

    /// Joins frames of equal size into one clip, in order.
    public init(frames: [[UInt8]], height: Int, width: Int) {
        var pixels: [UInt8] = []
        pixels.reserveCapacity(frames.count * height * width * 3)
        for frame in frames {
            precondition(frame.count == height * width * 3, "frame has \(frame.count) bytes, expected \(height * width * 3)")
            pixels.append(contentsOf: frame)
        }
        self.init(frameCount: frames.count, height: height, width: width, pixels: pixels)
    }

    /// The clip mirrored left-right (every frame).
    public func flippedHorizontally() -> Clip {
        var out = pixels
        let rowBytes = width * 3
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for row in 0..<(frameCount * height) {
                    let base = row * rowBytes
                    for x in 0..<width {
                        let s = base + x * 3, d = base + (width - 1 - x) * 3
                        dst[d] = src[s]
                        dst[d + 1] = src[s + 1]
                        dst[d + 2] = src[s + 2]
                    }
                }
            }
        }
        return Clip(frameCount: frameCount, height: height, width: width, pixels: out)
    }

    /// The sub-rectangle `box` of every frame. The box must lie inside the frame.
    public func cropped(to box: CropBox) -> Clip {
        precondition(
            box.x >= 0 && box.y >= 0 && box.width > 0 && box.height > 0
                && box.x + box.width <= width && box.y + box.height <= height,
            "crop \(box) outside the \(width)x\(height) frame")
        var out = [UInt8](repeating: 0, count: frameCount * box.height * box.width * 3)
        let srcRow = width * 3, dstRow = box.width * 3
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for t in 0..<frameCount {
                    for y in 0..<box.height {
                        let s = (t * height + box.y + y) * srcRow + box.x * 3
                        let d = (t * box.height + y) * dstRow
                        for i in 0..<dstRow { dst[d + i] = src[s + i] }
                    }
                }
            }
        }
        return Clip(frameCount: frameCount, height: box.height, width: box.width, pixels: out)
    }
}

/// A crop rectangle in source pixels: top-left corner (`x` column, `y` row), then `width` and `height`.
///
/// This is the order the feature cache stores in `/clips/crop` (x, y, width, height).
public struct CropBox: Equatable, Hashable, Sendable, Codable, CustomStringConvertible {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    /// `[x, y, width, height]`, the cache's row layout.
    public var array: [Int] { [x, y, width, height] }

    public var description: String { "(x \(x), y \(y), w \(width), h \(height))" }
}
