/// Horizontal placement of text relative to the x coordinate given.
public enum TextAlignment: Sendable {
    case left, center, right
}

/// A small raster canvas over an RGB image: filled rectangles, lines, and bitmap-font text.
///
/// Coordinates are pixels with the origin at the top-left corner; drawing outside the image is clipped.
public struct Canvas: Sendable {
    public private(set) var image: Image

    /// A blank canvas filled with `background`.
    public init(width: Int, height: Int, background: RGB = .white) throws {
        image = try Image(width: width, height: height, format: .rgb8, background: background)
    }

    public var width: Int { image.width }
    public var height: Int { image.height }

    /// Sets one pixel (ignored outside the canvas).
    public mutating func plot(x: Int, y: Int, color: RGB) {
        image.setColor(color, x: x, y: y)
    }

    /// Fills the rectangle whose top-left corner is (x, y), clipped to the canvas.
    public mutating func fillRect(x: Int, y: Int, width: Int, height: Int, color: RGB) {
        let x0 = max(0, x), y0 = max(0, y)
        let x1 = min(self.width, x + width), y1 = min(self.height, y + height)
        guard x0 < x1, y0 < y1 else { return }
        for py in y0..<y1 { for px in x0..<x1 { image.setColor(color, x: px, y: py) } }
    }

    /// Draws the 1-pixel outline of a rectangle.
    public mutating func strokeRect(x: Int, y: Int, width: Int, height: Int, color: RGB) {
        fillRect(x: x, y: y, width: width, height: 1, color: color)
        fillRect(x: x, y: y + height - 1, width: width, height: 1, color: color)
        fillRect(x: x, y: y, width: 1, height: height, color: color)
        fillRect(x: x + width - 1, y: y, width: 1, height: height, color: color)
    }

    /// Draws a straight line with Bresenham's algorithm; `thickness` > 1 stamps a square pen at each step.
    public mutating func line(from start: (x: Int, y: Int), to end: (x: Int, y: Int), color: RGB, thickness: Int = 1) {
        let dx = abs(end.x - start.x), dy = -abs(end.y - start.y)
        let sx = start.x < end.x ? 1 : -1, sy = start.y < end.y ? 1 : -1
        var error = dx + dy
        var (x, y) = start
        let pen = max(1, thickness), offset = (pen - 1) / 2
        while true {
            if pen == 1 {
                plot(x: x, y: y, color: color)
            } else {
                fillRect(x: x - offset, y: y - offset, width: pen, height: pen, color: color)
            }
            if x == end.x && y == end.y { break }
            let twice = 2 * error
            if twice >= dy {
                error += dy
                x += sx
            }
            if twice <= dx {
                error += dx
                y += sy
            }
        }
    }

    /// Draws `text` with its top edge at `y`; `alignment` says whether `x` is its left edge, centre or right edge.
    public mutating func text(
        _ text: String, x: Int, y: Int, color: RGB = .black, scale: Int = 2,
        alignment: TextAlignment = .left
    ) {
        let width = BitmapFont.width(of: text, scale: scale)
        var penX = alignedStart(x, width: width, alignment)
        for character in text {
            drawGlyph(BitmapFont.glyph(character), x: penX, y: y, color: color, scale: scale, vertical: false)
            penX += BitmapFont.advance * scale
        }
    }

    /// Draws `text` rotated a quarter turn anticlockwise (reading bottom to top), with its left edge at `x` and
    /// its centre at height `centerY`: the usual y-axis label.
    public mutating func verticalText(_ text: String, x: Int, centerY: Int, color: RGB = .black, scale: Int = 2) {
        let length = BitmapFont.width(of: text, scale: scale)
        var penY = centerY + length / 2
        for character in text {
            drawGlyph(BitmapFont.glyph(character), x: x, y: penY, color: color, scale: scale, vertical: true)
            penY -= BitmapFont.advance * scale
        }
    }

    private func alignedStart(_ x: Int, width: Int, _ alignment: TextAlignment) -> Int {
        switch alignment {
        case .left: return x
        case .center: return x - width / 2
        case .right: return x - width
        }
    }

    /// Upright glyphs have their top-left at (x, y). Rotated glyphs have their baseline-start at (x, y): glyph
    /// column c goes up from y, and glyph row r goes right from x.
    private mutating func drawGlyph(_ cells: [[Bool]], x: Int, y: Int, color: RGB, scale: Int, vertical: Bool) {
        for (row, line) in cells.enumerated() {
            for (column, ink) in line.enumerated() where ink {
                let px = vertical ? x + row * scale : x + column * scale
                let py = vertical ? y - (column + 1) * scale : y + row * scale
                fillRect(x: px, y: py, width: scale, height: scale, color: color)
            }
        }
    }
}
