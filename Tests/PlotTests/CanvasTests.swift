import Testing

@testable import Plot

@Suite("raster canvas and bitmap font")
struct CanvasTests {
    /// The set of (x, y) whose colour is `color`.
    static func pixels(of color: RGB, in image: Image) -> Set<[Int]> {
        var found = Set<[Int]>()
        for y in 0..<image.height { for x in 0..<image.width where image.color(x: x, y: y) == color { found.insert([x, y]) } }
        return found
    }

    @Test("filled rectangles are clipped to the canvas and cover exactly their pixels")
    func fillRect() throws {
        var canvas = try Canvas(width: 10, height: 8)
        canvas.fillRect(x: 7, y: -2, width: 5, height: 4, color: .black)
        #expect(Self.pixels(of: .black, in: canvas.image) == Set([[7, 0], [8, 0], [9, 0], [7, 1], [8, 1], [9, 1]]))
    }

    @Test("Bresenham lines include both endpoints and have one pixel per major-axis step")
    func lines() throws {
        var canvas = try Canvas(width: 20, height: 20)
        canvas.line(from: (x: 2, y: 3), to: (x: 14, y: 7), color: .black)
        let drawn = Self.pixels(of: .black, in: canvas.image)
        #expect(drawn.contains([2, 3]) && drawn.contains([14, 7]))
        #expect(drawn.count == 13)
        #expect(Set(drawn.map { $0[0] }).count == 13)
        var diagonal = try Canvas(width: 6, height: 6)
        diagonal.line(from: (x: 5, y: 5), to: (x: 0, y: 0), color: .black)
        #expect(Self.pixels(of: .black, in: diagonal.image) == Set((0..<6).map { [$0, $0] }))
    }

    @Test("every glyph is 5 columns by 7 rows (9 with a descender) and the required characters exist")
    func glyphTable() {
        for (character, rows) in BitmapFont.glyphs {
            #expect(rows.count == 7 || rows.count == 9, "\(character)")
            #expect(rows.allSatisfy { $0.count == 5 && $0.allSatisfy { $0 == "#" || $0 == "." } }, "\(character)")
        }
        let required = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz.-_:/%()=,+ "
        #expect(required.allSatisfy(BitmapFont.supports))
        #expect(BitmapFont.glyph("~") == BitmapFont.glyph("?"))
    }

    @Test("text draws the glyph's ink scaled, inside the box its width promises")
    func textRendering() throws {
        var canvas = try Canvas(width: 40, height: 20)
        canvas.text("1", x: 3, y: 2, color: .black, scale: 2)
        let ink = Self.pixels(of: .black, in: canvas.image)
        let glyphInk = BitmapFont.glyph("1").joined().filter { $0 }.count
        #expect(ink.count == glyphInk * 4)
        #expect(ink.allSatisfy { $0[0] >= 3 && $0[0] < 3 + BitmapFont.width(of: "1", scale: 2) && $0[1] >= 2 && $0[1] < 16 })
        var right = try Canvas(width: 40, height: 20)
        right.text("1", x: 3 + 10, y: 2, color: .black, scale: 2, alignment: .right)
        #expect(Self.pixels(of: .black, in: right.image) == ink)
    }

    @Test("vertical text is the upright text turned a quarter turn anticlockwise")
    func verticalText() throws {
        var upright = try Canvas(width: 30, height: 30), turned = try Canvas(width: 30, height: 30)
        upright.text("L7", x: 0, y: 0, scale: 1)
        turned.verticalText("L7", x: 0, centerY: 15, scale: 1)
        let width = BitmapFont.width(of: "L7", scale: 1)
        let a = Self.pixels(of: .black, in: upright.image)
        // (x, y) upright → (y, bottom − x) turned, where bottom is the row just below the text's start
        let bottom = 15 + width / 2
        let b = Set(a.map { [$0[1], bottom - 1 - $0[0]] })
        #expect(Self.pixels(of: .black, in: turned.image) == b)
    }
}
