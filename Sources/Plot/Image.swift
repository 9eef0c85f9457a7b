/// How the bytes of a pixel are laid out.
public enum PixelFormat: Sendable, Equatable {
    /// Red, green, blue: 3 bytes per pixel.
    case rgb8
    /// Red, green, blue, alpha: 4 bytes per pixel.
    case rgba8

    public var channels: Int { self == .rgb8 ? 3 : 4 }
}

/// An 8-bit image: rows top to bottom, pixels left to right, channels interleaved.
public struct Image: Equatable, Sendable {
    /// The largest width or height accepted (keeps buffers and PNG sizes sane).
    public static let maximumSide = 16_384

    public let width: Int
    public let height: Int
    public let format: PixelFormat
    public var pixels: [UInt8]

    /// An image of `width` × `height` pixels filled with `background` (opaque in RGBA).
    public init(width: Int, height: Int, format: PixelFormat = .rgb8, background: RGB = .white) throws {
        try Image.checkSize(width: width, height: height)
        self.width = width
        self.height = height
        self.format = format
        let pixel =
            format == .rgb8
            ? [background.r, background.g, background.b]
            : [background.r, background.g, background.b, 255]
        var buffer = [UInt8]()
        buffer.reserveCapacity(width * height * format.channels)
        for _ in 0..<(width * height) { buffer.append(contentsOf: pixel) }
        self.pixels = buffer
    }

    /// An image holding `pixels` (width × height × channels bytes).
    public init(width: Int, height: Int, format: PixelFormat, pixels: [UInt8]) throws {
        try Image.checkSize(width: width, height: height)
        let expected = width * height * format.channels
        guard pixels.count == expected else { throw PlotError.pixelCountMismatch(expected: expected, actual: pixels.count) }
        self.width = width
        self.height = height
        self.format = format
        self.pixels = pixels
    }

    private static func checkSize(width: Int, height: Int) throws {
        guard (1...maximumSide).contains(width), (1...maximumSide).contains(height) else {
            throw PlotError.invalidImageSize(width: width, height: height)
        }
    }

    /// The colour at (x, y), ignoring alpha. Coordinates must be inside the image.
    public func color(x: Int, y: Int) -> RGB {
        precondition(x >= 0 && x < width && y >= 0 && y < height, "pixel (\(x), \(y)) outside \(width)×\(height)")
        let i = (y * width + x) * format.channels
        return RGB(pixels[i], pixels[i + 1], pixels[i + 2])
    }

    /// Sets the colour at (x, y) (opaque); points outside the image are ignored.
    public mutating func setColor(_ c: RGB, x: Int, y: Int) {
        guard x >= 0, x < width, y >= 0, y < height else { return }
        let i = (y * width + x) * format.channels
        pixels[i] = c.r
        pixels[i + 1] = c.g
        pixels[i + 2] = c.b
        if format == .rgba8 { pixels[i + 3] = 255 }
    }
}
