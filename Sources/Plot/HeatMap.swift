/// A matrix drawn as coloured cells (row 0 at the top, column 0 at the left) with a colour bar, a title and
/// axis labels: e.g. a frame-by-frame similarity matrix.
public struct HeatMap: Sendable {
    public var title: String
    public var xLabel: String
    public var yLabel: String
    /// values[row][column]; every row the same length. NaN cells are drawn grey.
    public var values: [[Double]]
    /// The values mapped to the two ends of the colour map; nil uses the data's finite minimum and maximum.
    public var range: ClosedRange<Double>?
    public var colorMap: ColorMap
    /// Largest side of the cell grid in pixels (cells are square and at least 1 pixel).
    public var gridSide: Int

    public init(
        title: String, xLabel: String, yLabel: String, values: [[Double]],
        range: ClosedRange<Double>? = nil, colorMap: ColorMap = .viridis, gridSide: Int = 480
    ) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.values = values
        self.range = range
        self.colorMap = colorMap
        self.gridSide = gridSide
    }

    /// Draws the map. Throws `PlotError.emptyChart` for an empty or all-NaN matrix and `PlotError.invalidData`
    /// for a ragged one.
    public func render() throws -> Image {
        let rows = values.count, columns = values.first?.count ?? 0
        guard rows > 0, columns > 0 else { throw PlotError.emptyChart(title: title) }
        if let bad = values.firstIndex(where: { $0.count != columns }) {
            throw PlotError.invalidData(
                title: title, reason: "row \(bad) has \(values[bad].count) values but row 0 has \(columns); pass a rectangular matrix")
        }
        let finite = values.joined().filter(\.isFinite)
        guard let low = range?.lowerBound ?? finite.min(), let high = range?.upperBound ?? finite.max() else {
            throw PlotError.emptyChart(title: title)
        }
        let cell = max(1, gridSide / max(rows, columns))
        let barScale = AxisScale.linear(minimum: low, maximum: high)
        let barTicks = barScale.ticks.filter { $0 >= low - 1e-12 && $0 <= high + 1e-12 }
        let rowLabels = (0..<rows).map(String.init)
        let left = ChartFrame.leftMargin(tickLabels: rowLabels)
        let area = PixelRect(x: left, y: ChartFrame.plotTop, width: columns * cell, height: rows * cell)
        let barX = area.maxX + 24
        let width = barX + 20 + 10 + (barTicks.map { ChartFrame.textWidth(barScale.label($0)) }.max() ?? 0) + 20
        let height = area.maxY + 1 + 2 * ChartFrame.lineHeight + 24
        var canvas = try Canvas(width: max(width, ChartFrame.textWidth(title) + 20), height: height)
        ChartFrame.drawTitle(title, on: &canvas)
        drawCells(area: area, cell: cell, low: low, high: high, on: &canvas)
        drawIndexLabels(rows: rows, columns: columns, area: area, cell: cell, on: &canvas)
        canvas.verticalText(yLabel, x: ChartFrame.axisLabelGap, centerY: area.y + area.height / 2, scale: ChartFrame.textScale)
        ChartFrame.drawXLabel(xLabel, area: area, on: &canvas)
        drawColorBar(x: barX, area: area, low: low, high: high, scale: barScale, ticks: barTicks, on: &canvas)
        return canvas.image
    }

    private func fraction(_ v: Double, low: Double, high: Double) -> Double {
        high > low ? (v - low) / (high - low) : 0.5
    }

    private func drawCells(area: PixelRect, cell: Int, low: Double, high: Double, on canvas: inout Canvas) {
        for (r, row) in values.enumerated() {
            for (c, v) in row.enumerated() {
                let color = v.isFinite ? colorMap.color(at: fraction(v, low: low, high: high)) : RGB(160, 160, 160)
                canvas.fillRect(x: area.x + c * cell, y: area.y + r * cell, width: cell, height: cell, color: color)
            }
        }
    }

    /// Row and column indices at cell centres, thinned so that labels do not overlap.
    private func drawIndexLabels(rows: Int, columns: Int, area: PixelRect, cell: Int, on canvas: inout Canvas) {
        let rowStride = max(1, (ChartFrame.lineHeight + cell - 1) / cell)
        for r in stride(from: 0, to: rows, by: rowStride) {
            let y = area.y + r * cell + cell / 2
            canvas.text(String(r), x: area.x - 8, y: y - 7, color: .axisGrey, scale: ChartFrame.textScale, alignment: .right)
        }
        let widest = ChartFrame.textWidth(String(columns - 1)) + 8
        let columnStride = max(1, (widest + cell - 1) / cell)
        for c in stride(from: 0, to: columns, by: columnStride) {
            let x = area.x + c * cell + cell / 2
            canvas.text(String(c), x: x, y: area.maxY + 8, color: .axisGrey, scale: ChartFrame.textScale, alignment: .center)
        }
    }

    private func drawColorBar(
        x: Int, area: PixelRect, low: Double, high: Double, scale: AxisScale, ticks: [Double],
        on canvas: inout Canvas
    ) {
        for y in area.y...area.maxY {
            let f = area.height > 1 ? Double(area.maxY - y) / Double(area.height - 1) : 0.5
            canvas.fillRect(x: x, y: y, width: 20, height: 1, color: colorMap.color(at: f))
        }
        canvas.strokeRect(x: x, y: area.y, width: 20, height: area.height, color: .axisGrey)
        for tick in ticks {
            let y = area.row(fraction(tick, low: low, high: high))
            canvas.fillRect(x: x + 20, y: y, width: 5, height: 1, color: .axisGrey)
            canvas.text(scale.label(tick), x: x + 30, y: y - 7, color: .axisGrey, scale: ChartFrame.textScale)
        }
    }
}
