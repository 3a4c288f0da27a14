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

    /// Graphviz draws differently styled pieces as separate SVG <text>s, and viewers strip
    /// a <text>'s leading and trailing whitespace (librsvg even U+00A0): a space must close
    /// the first piece, where its width still moves the second piece right.
    func testSpaceBetweenStyledPiecesSurvivesSVG() throws {
        func pieces(_ html: String) throws -> [(text: String, x: Double)] {
            let graph = Graph(name: "pieces")
            graph.node("n").setHTMLLabel(html)
            let document = try XMLDocument(data: Data(try graph.render(format: "svg")))
            return try document.nodes(forXPath: "//*[local-name()='text']").map { node in
                let x = try node.nodes(forXPath: "@x").first?.stringValue ?? ""
                return (node.stringValue ?? "", try XCTUnwrap(Double(x)))
            }
        }
        let touching = try pieces("<B>MSE</B>L")
        let apart = try pieces("<B>MSE" + htmlLabelSpace + "</B>L")
        XCTAssertEqual(touching.map(\.text), ["MSE", "L"])
        XCTAssertEqual(apart.map { $0.text.trimmingCharacters(in: .whitespaces) }, ["MSE", "L"])
        XCTAssertEqual(apart[1].text, "L", "nothing at the start of the second piece for a viewer to strip")
        let gap = (apart[1].x - apart[0].x) - (touching[1].x - touching[0].x)
        XCTAssertGreaterThan(gap, 1, "the space widens the first piece: \(apart) vs \(touching)")
    }
}
