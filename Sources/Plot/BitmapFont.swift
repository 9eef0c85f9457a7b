/// A 5×7 bitmap font: digits, upper- and lower-case ASCII letters and common punctuation.
///
/// Each glyph is 7 rows of 5 cells ('#' ink, '.' paper), drawn in a 6×9 cell (1 column of spacing, 2 rows
/// below for descenders of g, j, p, q, y, which use rows 7 and 8). Characters without a glyph draw as '?'.
public enum BitmapFont {
    public static let glyphWidth = 5
    public static let glyphHeight = 7
    /// Horizontal distance between the starts of consecutive characters, at scale 1.
    public static let advance = 6
    /// Height of a text line including descenders, at scale 1.
    public static let lineHeight = 9

    /// The ink cells of `character`: rows top to bottom, each row's cells left to right.
    public static func glyph(_ character: Character) -> [[Bool]] {
        let rows = glyphs[character] ?? glyphs["?"]!
        return rows.map { row in row.map { $0 == "#" } }
    }

    /// Whether `character` has its own glyph.
    public static func supports(_ character: Character) -> Bool { glyphs[character] != nil }

    /// Width in pixels of `text` drawn at `scale` (no trailing spacing).
    public static func width(of text: String, scale: Int) -> Int {
        text.isEmpty ? 0 : (text.count * advance - 1) * scale
    }

    static let glyphs: [Character: [String]] =
        digitsAndPunctuation
        .merging(upperCase) { a, _ in a }
        .merging(lowerCase) { a, _ in a }
}
