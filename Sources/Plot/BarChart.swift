import Foundation

/// One named set of bars, one value per category.
public struct BarSeries: Sendable, Equatable {
    public var name: String
    public var values: [Double]
    /// The bar colour; nil takes the next colour of `RGB.seriesPalette`.
    public var color: RGB?
    /// An interval per bar (e.g. a 95% confidence interval), drawn as a whisker; nil entries draw none.
    public var intervals: [ClosedRange<Double>?]?

    public init(name: String, values: [Double], color: RGB? = nil, intervals: [ClosedRange<Double>?]? = nil) {
        self.name = name
        self.values = values
        self.color = color
        self.intervals = intervals
    }
}

/// Grouped bars: one group per category, one bar per series, with value labels and a legend; e.g. top-1
/// accuracy of several runs (series) under several protocols (categories).
public struct BarChart: Sendable {
    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var categories: [String]
    public var series: [BarSeries]
    /// printf-style format of the value written above each bar; nil writes none.
    public var valueFormat: String?
    public var width: Int
    public var height: Int

    public init(
        title: String, xLabel: String, yLabel: String, categories: [String], series: [BarSeries],
        valueFormat: String? = "%.1f", width: Int = 800, height: Int = 480
    ) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.categories = categories
        self.series = series
        self.valueFormat = valueFormat
        self.width = width
        self.height = height
    }

    /// Draws the chart. The y-axis always includes 0. Non-finite values draw no bar.
    public func render() throws -> Image {
        for s in series where s.values.count != categories.count || (s.intervals.map { $0.count != categories.count } ?? false) {
            throw PlotError.invalidData(
                title: title,
                reason:
                    "series '\(s.name)' has \(s.values.count) values (and \(s.intervals?.count ?? 0) intervals) for \(categories.count) categories; pass one value (and interval) per category"
            )
        }
        let ends = series.compactMap(\.intervals).flatMap { $0.compactMap { $0 }.flatMap { [$0.lowerBound, $0.upperBound] } }
        let finite = (series.flatMap(\.values) + ends).filter(\.isFinite)
        guard !categories.isEmpty, !finite.isEmpty else { throw PlotError.emptyChart(title: title) }
        let yScale = AxisScale.linear(minimum: min(0, finite.min()!), maximum: max(0, finite.max()!))
        let entries = series.enumerated().map { (name: $1.name, color: $1.color ?? RGB.series($0)) }
        let left = ChartFrame.leftMargin(tickLabels: yScale.ticks.map(yScale.label))
        let right = ChartFrame.legendWidth(entries.map(\.name)) + 20
        // Category names wider than their group alternate between two lines.
        let plotWidth = width - left - right
        let widest = categories.map(ChartFrame.textWidth).max() ?? 0
        let tickRows = widest + 4 > plotWidth / categories.count ? 2 : 1
        let area = PixelRect(
            x: left, y: ChartFrame.plotTop, width: plotWidth,
            height: height - ChartFrame.plotTop - (1 + tickRows) * ChartFrame.lineHeight - 24)
        guard area.width >= categories.count * max(1, series.count), area.height >= 16 else {
            throw PlotError.invalidData(
                title: title, reason: "\(width)×\(height) is too small for \(categories.count) groups of \(series.count) bars; use a larger width")
        }
        var canvas = try Canvas(width: width, height: height)
        ChartFrame.drawTitle(title, on: &canvas)
        ChartFrame.drawYAxis(yScale, label: yLabel, area: area, on: &canvas)
        drawBars(entries: entries, yScale: yScale, area: area, tickRows: tickRows, on: &canvas)
        ChartFrame.drawAxisLines(area: area, on: &canvas)
        ChartFrame.drawXLabel(xLabel, area: area, tickRows: tickRows, on: &canvas)
        ChartFrame.drawLegend(entries, x: area.maxX + 20, top: area.y, on: &canvas)
        return canvas.image
    }

    private func drawBars(
        entries: [(name: String, color: RGB)], yScale: AxisScale, area: PixelRect, tickRows: Int,
        on canvas: inout Canvas
    ) {
        let groupWidth = Double(area.width) / Double(categories.count)
        let inner = groupWidth * 0.8, barWidth = inner / Double(max(1, series.count))
        let zeroRow = area.row(yScale.fraction(0))
        for (g, category) in categories.enumerated() {
            let groupLeft = Double(area.x) + Double(g) * groupWidth + (groupWidth - inner) / 2
            for (i, s) in series.enumerated() where s.values[g].isFinite {
                let x0 = Int((groupLeft + Double(i) * barWidth).rounded())
                let x1 = Int((groupLeft + Double(i + 1) * barWidth).rounded())
                let top = area.row(yScale.fraction(s.values[g]))
                let (y0, y1) = (min(top, zeroRow), max(top, zeroRow))
                canvas.fillRect(x: x0, y: y0, width: max(1, x1 - x0 - 1), height: y1 - y0 + 1, color: entries[i].color)
                var labelTop = y0
                if let interval = s.intervals?[g], interval.lowerBound.isFinite, interval.upperBound.isFinite {
                    let (hi, lo) = (area.row(yScale.fraction(interval.upperBound)), area.row(yScale.fraction(interval.lowerBound)))
                    let mid = (x0 + x1) / 2, arm = max(1, (x1 - x0) / 4)
                    canvas.fillRect(x: mid, y: hi, width: 1, height: lo - hi + 1, color: .black)
                    canvas.fillRect(x: mid - arm, y: hi, width: 2 * arm + 1, height: 1, color: .black)
                    canvas.fillRect(x: mid - arm, y: lo, width: 2 * arm + 1, height: 1, color: .black)
                    labelTop = min(labelTop, hi)
                }
                if let valueFormat {
                    canvas.text(
                        String(format: valueFormat, s.values[g]), x: (x0 + x1) / 2, y: labelTop - 10,
                        color: .axisGrey, scale: 1, alignment: .center)
                }
            }
            canvas.text(
                category, x: Int(Double(area.x) + (Double(g) + 0.5) * groupWidth),
                y: area.maxY + 10 + (g % tickRows) * ChartFrame.lineHeight,
                color: .axisGrey, scale: ChartFrame.textScale, alignment: .center)
        }
    }
}
