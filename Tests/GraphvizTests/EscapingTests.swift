import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Graphviz
import XCTest

final class EscapingTests: XCTestCase {
    let hostile = "<script>alert('x' & \"y\")</script>"

    func testEscapeHelpers() {
        XCTAssertEqual(escapeForHTMLLabel(hostile),
                       "&lt;script&gt;alert(&#39;x&#39; &amp; &quot;y&quot;)&lt;/script&gt;")
        XCTAssertEqual(escapeForPlainLabel(#"a\Nb\\"#), #"a\\Nb\\\\"#)
    }

    func testHostileTextIsDrawnAsTextInSVG() throws {
        let graph = Graph(name: "hostile")
        graph.node("plain").setLabel(hostile)
        graph.node("html").setHTMLLabel("<I>" + escapeForHTMLLabel(hostile) + "</I>")
        graph.node("tooltip")["tooltip"] = hostile
        let svg = try graph.render(format: "svg")
        let source = text(svg)
        XCTAssertFalse(source.lowercased().contains("<script"), source)
        let document = try XMLDocument(data: Data(svg))
        XCTAssertTrue(try document.nodes(forXPath: "//*[local-name()='script']").isEmpty)
        let texts = try document.nodes(forXPath: "//*[local-name()='text']").compactMap(\.stringValue)
        XCTAssertEqual(texts.filter { $0 == hostile }.count, 2, "both labels show the text itself: \(texts)")
    }

    func testPlainLabelShowsBackslashEscapesLiterally() throws {
        let graph = Graph(name: "backslashes")
        graph.node("n").setLabel(#"\N and \l"#)
        let svg = text(try graph.render(format: "svg"))
        XCTAssertTrue(svg.contains(#">\N and \l</text>"#), svg)
    }

    /// The string pool is keyed by text: an HTML label whose text is already pooled as a
    /// plain string (here a tooltip) must still be drawn as HTML.
    func testHTMLLabelWhoseTextIsAlreadyAPlainString() throws {
        let markup = "<B>bold</B>"
        let graph = Graph(name: "collision")
        graph.node("first")["tooltip"] = markup
        graph.node("second").setHTMLLabel(markup)
        let svg = text(try graph.render(format: "svg"))
        XCTAssertTrue(svg.contains("font-weight=\"bold\""), svg)
        XCTAssertTrue(svg.contains(">bold</text>"), svg)
    }

    /// And the other way round: a plain label whose text is already an HTML label stays plain.
    func testPlainLabelWhoseTextIsAlreadyAnHTMLLabel() throws {
        let markup = "<B>bold</B>"
        let graph = Graph(name: "collision")
        graph.node("first").setHTMLLabel(markup)
        graph.node("second").setLabel(markup)
        let svg = try graph.render(format: "svg")
        let document = try XMLDocument(data: Data(svg))
        let texts = try document.nodes(forXPath: "//*[local-name()='text']").compactMap(\.stringValue)
        XCTAssertEqual(Set(texts), ["bold", markup], "\(texts)")
    }
}
