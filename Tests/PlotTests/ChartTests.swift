import Testing

@testable import Plot

@Suite("charts")
struct ChartTests {
    static func count(_ color: RGB, in image: Image, region: PixelRect? = nil) -> Int {
        let r = region ?? PixelRect(x: 0, y: 0, width: image.width, height: image.height)
        var n = 0
        for y in r.y...r.maxY { for x in r.x...r.maxX where image.color(x: x, y: y) == color { n += 1 } }
        return n
    }

    static let red = RGB(220, 0, 0), blue = RGB(0, 0, 220)

    static func lossChart(logY: Bool = false) -> LineChart {
        LineChart(
            title: "training loss", xLabel: "step", yLabel: "loss",
            series: [
                LineSeries(name: "falling", x: [0, 50, 100], y: [1, 0.5, 0.1], color: red),
                LineSeries(name: "flat", x: [0, 100], y: [0.3, 0.3], color: blue)
            ], logY: logY)
    }

    @Test("a line chart draws each series in its colour where its points are, and a legend swatch")
    func lineChartSeries() throws {
        let image = try Self.lossChart().render()
        #expect(image.width == 800 && image.height == 480)
        let redPixels = CanvasTests.pixels(of: Self.red, in: image)
        #expect(redPixels.count > 200)
        // The red line starts top-left and ends bottom-right of the plot: its leftmost pixels are higher up.
        let xs = redPixels.map { $0[0] }
        let leftmost = redPixels.filter { $0[0] < xs.min()! + 5 }.map { $0[1] }
        let rightmost = redPixels.filter { $0[0] > 600 && $0[0] < 640 }.map { $0[1] }
        #expect(!rightmost.isEmpty && leftmost.max()! < rightmost.min()!)
        // The flat series is one horizontal band (thickness 2) apart from its legend swatch.
        let bluePlot = CanvasTests.pixels(of: Self.blue, in: image).filter { $0[0] < 600 }
        #expect(Set(bluePlot.map { $0[1] }).count == 2)
    }

    @Test("a log-y chart draws every positive point and labels decades")
    func logChart() throws {
        let chart = LineChart(
            title: "log", xLabel: "x", yLabel: "y",
            series: [LineSeries(name: "a", y: [100, 10, 1, 0, 0.01], color: Self.red)], logY: true)
        let image = try chart.render()
        #expect(Self.count(Self.red, in: image) > 50)
        let scale = AxisScale.logarithmic(minimum: 0.01, maximum: 100)
        #expect(scale.ticks == [0.01, 0.1, 1, 10, 100])
        #expect(scale.ticks.map(scale.label) == ["0.01", "0.1", "1", "10", "100"])
    }

    @Test("linear scales have 1-2-5 steps that cover the data")
    func linearTicks() {
        let s = AxisScale.linear(minimum: 0.13, maximum: 0.87)
        #expect(s.ticks == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0])
        #expect(s.ticks.map(s.label) == ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"])
        let flat = AxisScale.linear(minimum: 5, maximum: 5)
        #expect(flat.lower < 5 && flat.upper > 5)
    }

    @Test("a heat map colours each cell by its value and draws a colour bar")
    func heatMap() throws {
        let map = HeatMap(
            title: "similarity", xLabel: "frame", yLabel: "frame",
            values: [[1, 0], [0, 1]], range: 0...1, gridSide: 100)
        let image = try map.render()
        let high = ColorMap.viridis.color(at: 1), low = ColorMap.viridis.color(at: 0)
        // 50-pixel cells: two diagonal cells at the top colour, two at the bottom colour, plus the colour bar ends.
        #expect(Self.count(high, in: image) >= 2 * 2500 && Self.count(high, in: image) < 2 * 2500 + 200)
        #expect(Self.count(low, in: image) >= 2 * 2500)
        #expect(ColorMap.viridis.color(at: 0) == RGB(68, 1, 84) && ColorMap.viridis.color(at: 1) == RGB(253, 231, 37))
    }

    @Test("a grouped bar chart draws one bar per value with heights in proportion")
    func barChart() throws {
        let chart = BarChart(
            title: "top-1", xLabel: "protocol", yLabel: "accuracy (%)", categories: ["knn", "linear"],
            series: [
                BarSeries(name: "A", values: [40, 80], color: Self.red),
                BarSeries(name: "B", values: [20, 10], color: Self.blue)
            ], valueFormat: nil)
        let image = try chart.render()
        let red = CanvasTests.pixels(of: Self.red, in: image).filter { $0[1] > ChartFrame.plotTop + 1 || $0[0] < 600 }
        let columns = Dictionary(grouping: red, by: { $0[0] }).mapValues(\.count)
        let heights = Set(columns.values).sorted()
        // Two red bars (40 and 80, on a 0…80 axis) plus the 8-pixel-high legend swatch.
        #expect(heights.count == 3)
        #expect(abs(Double(heights[2]) / Double(heights[1]) - 2) < 0.02)
    }

    @Test("rendering and encoding are deterministic: the same chart gives the same bytes")
    func determinism() throws {
        let a = PNG.encode(try Self.lossChart(logY: true).render())
        let b = PNG.encode(try Self.lossChart(logY: true).render())
        #expect(a == b)
        #expect(a != PNG.encode(try Self.lossChart(logY: false).render()))
    }

    @Test("charts with mismatched or missing data throw errors that name the problem")
    func errors() {
        let ragged = LineChart(title: "t", xLabel: "", yLabel: "", series: [LineSeries(name: "s", x: [0, 1], y: [1])])
        #expect(throws: PlotError.self) { try ragged.render() }
        let empty = LineChart(title: "t", xLabel: "", yLabel: "", series: [LineSeries(name: "s", y: [.nan])])
        #expect(throws: PlotError.emptyChart(title: "t")) { try empty.render() }
        #expect(throws: PlotError.self) { try HeatMap(title: "h", xLabel: "", yLabel: "", values: [[1, 2], [3]]).render() }
        #expect(throws: PlotError.self) {
            try BarChart(title: "b", xLabel: "", yLabel: "", categories: ["a"], series: [BarSeries(name: "s", values: [])]).render()
        }
    }
}
