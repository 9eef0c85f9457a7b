/// An 8-bit sRGB colour.
public struct RGB: Equatable, Hashable, Sendable, Codable {
    public var r: UInt8
    public var g: UInt8
    public var b: UInt8

    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) {
        self.r = r
        self.g = g
        self.b = b
    }

    public static let white = RGB(255, 255, 255)
    public static let black = RGB(0, 0, 0)
    public static let gridGrey = RGB(225, 225, 225)
    public static let axisGrey = RGB(60, 60, 60)

    /// Ten well-separated colours for chart series, used in order and then repeated.
    public static let seriesPalette: [RGB] = [
        RGB(31, 119, 180), RGB(255, 127, 14), RGB(44, 160, 44), RGB(214, 39, 40), RGB(148, 103, 189),
        RGB(140, 86, 75), RGB(227, 119, 194), RGB(127, 127, 127), RGB(188, 189, 34), RGB(23, 190, 207)
    ]

    /// The palette colour for series number `index`.
    public static func series(_ index: Int) -> RGB {
        seriesPalette[((index % seriesPalette.count) + seriesPalette.count) % seriesPalette.count]
    }

    /// Linear interpolation between two colours, `t` in [0, 1].
    public static func mix(_ a: RGB, _ b: RGB, _ t: Double) -> RGB {
        let u = min(max(t, 0), 1)
        func channel(_ x: UInt8, _ y: UInt8) -> UInt8 {
            UInt8((Double(x) + (Double(y) - Double(x)) * u).rounded())
        }
        return RGB(channel(a.r, b.r), channel(a.g, b.g), channel(a.b, b.b))
    }
}

/// A colour map from [0, 1] to colours, by piecewise-linear interpolation between evenly spaced anchors.
public struct ColorMap: Sendable, Equatable {
    public let anchors: [RGB]

    public init(anchors: [RGB]) {
        precondition(anchors.count >= 2, "a colour map needs at least two anchors, got \(anchors.count)")
        self.anchors = anchors
    }

    /// A perceptually ordered dark-purple → blue → green → yellow map (viridis-like).
    public static let viridis = ColorMap(anchors: [
        RGB(68, 1, 84), RGB(71, 44, 122), RGB(59, 81, 139), RGB(44, 113, 142), RGB(33, 144, 141),
        RGB(39, 173, 129), RGB(92, 200, 99), RGB(170, 220, 50), RGB(253, 231, 37)
    ])

    /// A white → dark-blue map.
    public static let blues = ColorMap(anchors: [RGB(247, 251, 255), RGB(107, 174, 214), RGB(8, 48, 107)])

    /// The colour at `t` (clamped to [0, 1]; NaN maps to 0).
    public func color(at t: Double) -> RGB {
        let u = t.isNaN ? 0 : min(max(t, 0), 1)
        let position = u * Double(anchors.count - 1)
        let lower = min(Int(position), anchors.count - 2)
        return RGB.mix(anchors[lower], anchors[lower + 1], position - Double(lower))
    }
}
