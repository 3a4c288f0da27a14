import GradvizCore
import XCTest

/// Text from a model reaches messages and drawings with every character that could split a
/// line, drive a terminal or break XML shown as U+XXXX, and everything else as written.
final class VisibleTextTests: XCTestCase {
    func testPlainTextIsUnchanged() {
        for text in ["", "x", "hidden layer", "σ(wᵀx + b)", #"\G \N \\ & <b> "q" 'a'"#, "Σ g1 + g2", "日本語", "🙂"] {
            XCTAssertEqual(visibleText(text), text)
        }
        XCTAssertEqual(quoted("x.1"), "'x.1'")
    }

    func testControlCharactersBecomeCodePoints() {
        XCTAssertEqual(quoted("a\nb"), "'aU+000Ab'")
        XCTAssertEqual(visibleText("\u{1b}[2J"), "U+001B[2J")
        XCTAssertEqual(visibleText("\u{0}\u{1}\t\r\u{7f}"), "U+0000U+0001U+0009U+000DU+007F")
        XCTAssertEqual(visibleText("c1 \u{85} \u{9b}"), "c1 U+0085 U+009B")
    }

    func testSeparatorsBidiControlsAndNoncharacters() {
        XCTAssertEqual(visibleText("a\u{2028}b\u{2029}"), "aU+2028bU+2029")
        XCTAssertEqual(visibleText("\u{202E}evil\u{202C} \u{2066}\u{200F}"), "U+202EevilU+202C U+2066U+200F")
        // Swift string literals cannot spell noncharacters.
        let nonCharacters = String(String.UnicodeScalarView([0xFFFE, 0xFFFF, 0xFDD0, 0x1FFFE, 0x10FFFF].map { Unicode.Scalar($0)! }))
        XCTAssertEqual(visibleText(nonCharacters), "U+FFFEU+FFFFU+FDD0U+1FFFEU+10FFFF")
        // Neighbours that are ordinary characters stay.
        XCTAssertEqual(visibleText("\u{FFFD}\u{FDCF}\u{FDF0}\u{A0}"), "\u{FFFD}\u{FDCF}\u{FDF0}\u{A0}")
    }

    func testLineFeedsCanBeKept() {
        XCTAssertEqual(visibleText("a\nb\u{1}", keepingLineFeeds: true), "a\nbU+0001")
        XCTAssertEqual(visibleText("a\r\nb", keepingLineFeeds: true), "aU+000D\nb")
    }

    func testEveryEscapedTextIsPrintable() {
        var all = ""
        for v in UInt32(0)...0x2FFFF { if let s = Unicode.Scalar(v) { all.unicodeScalars.append(s) } }
        let shown = visibleText(all)
        XCTAssertFalse(shown.unicodeScalars.contains { $0.properties.generalCategory == .control || $0 == "\u{2028}" || $0.properties.isNoncharacterCodePoint })
    }
}
