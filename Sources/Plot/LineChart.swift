/// One named curve of a line chart: points (x[i], y[i]).
public struct LineSeries: Sendable, Equatable {
    public var name: String
    public var x: [Double]
    public var y: [Double]
    /// The line colour; nil takes the next colour of `RGB.seriesPalette`.
    public var color: RGB?

    public init(name: String, x: [Double], y: [Double], color: RGB? = nil) {
        self.name = name
        self.x = x
        self.y = y
        self.color = color
    }

    /// A series with x = 0, 1, 2, … (e.g. a per-step loss).
    public init(name: String, y: [Double], color: RGB? = nil) {
        self.init(name: name, x: y.indices.map(Double.init), y: y, color: color)
    }
}

/// Several named series drawn as lines over shared axes, with tick labels, a title and a legend: e.g. the
/// training-loss curves of several runs.
///
/// Non-finite points (and, on a log y-axis, non-positive ones) are skipped and break the line there.
public struct LineChart: Sendable {
    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [LineSeries]
    /// Base-10 logarithmic y-axis.
    public var logY: Bool
    public var width: Int
    public var height: Int

    public init(
        title: String, xLabel: String, yLabel: String, series: [LineSeries], logY: Bool = false,
        width: Int = 800, height: Int = 480
    ) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
        self.logY = logY
        self.width = width
        self.height = height
    }

    /// Draws the chart. Throws `PlotError.invalidData` when a series has different x and y counts and
    /// `PlotError.emptyChart` when no point can be drawn.
    public func render() throws -> Image {
        for s in series where s.x.count != s.y.count {
            throw PlotError.invalidData(
                title: title, reason: "series '\(s.name)' has \(s.x.count) x values but \(s.y.count) y values; pass one x per y")
        }
        let points = series.flatMap { s in zip(s.x, s.y).filter { drawable($0.0, $0.1) } }
        guard !points.isEmpty else { throw PlotError.emptyChart(title: title) }
        let xs = points.map(\.0), ys = points.map(\.1)
        let xScale = AxisScale.linear(minimum: xs.min()!, maximum: xs.max()!)
        let yScale =
            logY
            ? AxisScale.logarithmic(minimum: ys.min()!, maximum: ys.max()!)
            : AxisScale.linear(minimum: ys.min()!, maximum: ys.max()!)
        let entries = series.enumerated().map { (name: $1.name, color: $1.color ?? RGB.series($0)) }
        let left = ChartFrame.leftMargin(tickLabels: yScale.ticks.map(yScale.label))
        let right = ChartFrame.legendWidth(entries.map(\.name)) + 20
        let area = PixelRect(
            x: left, y: ChartFrame.plotTop, width: width - left - right,
            height: height - ChartFrame.plotTop - 2 * ChartFrame.lineHeight - 24)
        guard area.width >= 16, area.height >= 16 else {
            throw PlotError.invalidData(title: title, reason: "\(width)×\(height) leaves no room for the plot; use a larger width or height")
        }
        var canvas = try Canvas(width: width, height: height)
        ChartFrame.drawTitle(title, on: &canvas)
        ChartFrame.drawYAxis(yScale, label: yLabel, area: area, on: &canvas)
        ChartFrame.drawXAxis(xScale, label: xLabel, area: area, on: &canvas)
        ChartFrame.drawAxisLines(area: area, on: &canvas)
        for (i, s) in series.enumerated() {
            drawSeries(s, color: entries[i].color, xScale: xScale, yScale: yScale, area: area, on: &canvas)
        }
        ChartFrame.drawLegend(entries, x: area.maxX + 20, top: area.y, on: &canvas)
        return canvas.image
    }

    private func drawable(_ x: Double, _ y: Double) -> Bool {
        x.isFinite && y.isFinite && (!logY || y > 0)
    }

    /// Lines through each run of consecutive drawable points; a run of one point gets a 3×3 marker.
    private func drawSeries(
        _ s: LineSeries, color: RGB, xScale: AxisScale, yScale: AxisScale, area: PixelRect,
        on canvas: inout Canvas
    ) {
        var runs: [[(x: Int, y: Int)]] = [[]]
        for (x, y) in zip(s.x, s.y) {
            if drawable(x, y) {
                runs[runs.count - 1].append((x: area.column(xScale.fraction(x)), y: area.row(yScale.fraction(y))))
            } else if !runs[runs.count - 1].isEmpty {
                runs.append([])
            }
        }
        for run in runs where !run.isEmpty {
            if run.count == 1 {
                canvas.fillRect(x: run[0].x - 1, y: run[0].y - 1, width: 3, height: 3, color: color)
            }
            for i in run.indices.dropFirst() { canvas.line(from: run[i - 1], to: run[i], color: color, thickness: 2) }
        }
    }
}
