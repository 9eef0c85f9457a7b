/// A pixel rectangle: the plotting area of a chart.
public struct PixelRect: Sendable, Equatable {
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

    public var maxX: Int { x + width - 1 }
    public var maxY: Int { y + height - 1 }

    /// The pixel column of horizontal fraction `f` (0 = left edge, 1 = right edge).
    public func column(_ f: Double) -> Int { x + Int((f * Double(width - 1)).rounded()) }
    /// The pixel row of vertical fraction `f` (0 = bottom edge, 1 = top edge).
    public func row(_ f: Double) -> Int { maxY - Int((f * Double(height - 1)).rounded()) }
}

/// The decorations every chart shares: title, axis labels, ticks with grid lines, legend.
enum ChartFrame {
    static let textScale = 2
    static let lineHeight = BitmapFont.lineHeight * textScale
    static let titleTop = 12
    static let plotTop = 52
    static let axisLabelGap = 10

    static func textWidth(_ s: String) -> Int { BitmapFont.width(of: s, scale: textScale) }

    static func drawTitle(_ title: String, on canvas: inout Canvas) {
        canvas.text(title, x: canvas.width / 2, y: titleTop, color: .black, scale: textScale, alignment: .center)
    }

    /// Left margin that fits a vertical axis label and the widest of `tickLabels`.
    static func leftMargin(tickLabels: [String]) -> Int {
        axisLabelGap + lineHeight + 8 + (tickLabels.map(textWidth).max() ?? 0) + 10
    }

    /// Horizontal grid lines and right-aligned labels at each tick of `scale`, plus the y-axis label.
    static func drawYAxis(_ scale: AxisScale, label: String, area: PixelRect, on canvas: inout Canvas) {
        for tick in scale.ticks {
            let y = area.row(scale.fraction(tick))
            canvas.fillRect(x: area.x, y: y, width: area.width, height: 1, color: .gridGrey)
            canvas.fillRect(x: area.x - 5, y: y, width: 5, height: 1, color: .axisGrey)
            canvas.text(scale.label(tick), x: area.x - 9, y: y - 7, color: .axisGrey, scale: textScale, alignment: .right)
        }
        canvas.verticalText(label, x: axisLabelGap, centerY: area.y + area.height / 2, color: .black, scale: textScale)
    }

    /// Vertical grid lines and centred labels at each tick of `scale`, plus the x-axis label.
    static func drawXAxis(_ scale: AxisScale, label: String, area: PixelRect, on canvas: inout Canvas) {
        for tick in scale.ticks {
            let x = area.column(scale.fraction(tick))
            canvas.fillRect(x: x, y: area.y, width: 1, height: area.height, color: .gridGrey)
            canvas.fillRect(x: x, y: area.maxY + 1, width: 1, height: 5, color: .axisGrey)
            canvas.text(scale.label(tick), x: x, y: area.maxY + 10, color: .axisGrey, scale: textScale, alignment: .center)
        }
        drawXLabel(label, area: area, on: &canvas)
    }

    /// `tickRows`: lines of tick labels under the axis (2 when long category names are staggered).
    static func drawXLabel(_ label: String, area: PixelRect, tickRows: Int = 1, on canvas: inout Canvas) {
        canvas.text(
            label, x: area.x + area.width / 2, y: area.maxY + 18 + tickRows * lineHeight, color: .black,
            scale: textScale, alignment: .center)
    }

    /// The left and bottom axis lines.
    static func drawAxisLines(area: PixelRect, on canvas: inout Canvas) {
        canvas.fillRect(x: area.x, y: area.y, width: 1, height: area.height, color: .axisGrey)
        canvas.fillRect(x: area.x, y: area.maxY, width: area.width, height: 1, color: .axisGrey)
    }

    /// Width a legend of `names` needs (swatch, gap, text, padding).
    static func legendWidth(_ names: [String]) -> Int {
        names.isEmpty ? 0 : 24 + 8 + (names.map(textWidth).max() ?? 0) + 16
    }

    /// One row per entry, from the top of `area`, starting at column `x`: a coloured swatch and the name.
    static func drawLegend(_ entries: [(name: String, color: RGB)], x: Int, top: Int, on canvas: inout Canvas) {
        for (i, entry) in entries.enumerated() {
            let y = top + i * (lineHeight + 6)
            canvas.fillRect(x: x, y: y + 4, width: 24, height: 8, color: entry.color)
            canvas.text(entry.name, x: x + 32, y: y, color: .black, scale: textScale)
        }
    }
}
