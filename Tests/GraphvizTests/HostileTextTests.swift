import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Graphviz
import UserText
import XCTest

/// Text Graphviz would read as its own is shown as written (issue 13, items 9-11):
/// character references, which it decodes (some into bytes XML cannot hold), text shaped
/// like a reference, which its SVG writer passes on unescaped, its backslash escapes, and
/// characters XML cannot carry at all.
final class HostileTextTests: XCTestCase {
    static let texts = [
        "&nbsp; &e; &#x110000; &#0; &#x1; &#xD800; &#38; &amp; &lt;b&gt; & &; &#; &#x;",
        #"\N \G \L \E \H \T \n \l \r \\ \"#,
        "\u{0} \u{1} \u{1b}[2J \u{7f} \u{85} \u{2028} \u{202e} \t \r",
        "<b>x</b> \"q\" 'a' -- ]]> <!-- --> <![CDATA[",
        String(String.UnicodeScalarView([0xFFFE, 0xFDD0, 0x10FFFF].map { Unicode.Scalar($0)! })),
    ]

    /// Each kind of text this layer sets is shown as written, control characters as U+XXXX,
    /// in an SVG that parses as XML, with no element from the text.
    func testTextIsShownAsWrittenWhateverItHolds() throws {
        for (i, text) in Self.texts.enumerated() {
            let graph = Graph(name: text)
            graph.setHTMLLabel("<B>" + escapeForHTMLLabel(text) + "</B>")
            let cluster = graph.subgraph("cluster_1")
            cluster.setLabel(text)
            let plain = cluster.node("plain")
            plain.setLabel(text)
            plain.setLabel(text, attribute: "tooltip")
            let html = graph.node("html")
            html.setHTMLLabel("<I>" + escapeForHTMLLabel(text) + "</I>")
            html.setLabel(text, attribute: "xlabel")
            graph.edge(from: plain, to: html, key: "e").setLabel(text)
            let svg = try graph.render(format: "svg")
            let document: XMLDocument
            do { document = try XMLDocument(data: Data(svg)) } catch {
                XCTFail("text \(i): not XML: \(error)\n\(String(decoding: svg, as: UTF8.self))"); continue
            }
            let shown = visibleText(text)
            let texts = try document.nodes(forXPath: "//*[local-name()='text']").compactMap(\.stringValue)
            // (Graphviz writes the second of two spaces as U+00A0; the texts have none.)
            XCTAssertEqual(texts.filter { $0 == shown }.count, 6, "text \(i): graph, cluster, node, HTML node, xlabel, edge: \(texts)")
            let titles = try document.nodes(forXPath: "//*[local-name()='title']").compactMap(\.stringValue)
            XCTAssertEqual(titles.first, shown, "text \(i): the graph's name")
            let tooltips = try document.nodes(forXPath: "//@*[local-name()='title']").compactMap(\.stringValue)
            XCTAssertTrue(tooltips.contains(shown), "text \(i): tooltip: \(tooltips)")
            let elements = Set(try document.nodes(forXPath: "//*").compactMap(\.localName))
            XCTAssertTrue(elements.isSubset(of: ["svg", "g", "title", "text", "polygon", "ellipse", "path", "a"]), "text \(i): \(elements)")
            // The same graph as DOT too.
            XCTAssertFalse(try graph.render(format: "dot").isEmpty)
        }
    }

    func testHTMLAndTooltipShowBackslashEscapesLiterally() throws {
        let graph = Graph(name: "backslashes")
        let n = graph.node("n")
        n.setHTMLLabel(escapeForHTMLLabel(#"\N \G \\ \n"#))
        n.setLabel(#"\N \G \\ \n \E"#, attribute: "tooltip")
        let svg = String(decoding: try graph.render(format: "svg"), as: UTF8.self)
        XCTAssertTrue(svg.contains(#">\N \G \\ \n</text>"#), svg)
        XCTAssertTrue(svg.contains(#"xlink:title="\N \G \\ \n \E""#), svg)
    }

    /// Graphviz reports a failure in several lines; the error is one line.
    func testGraphvizFailuresAreOneLine() throws {
        let graph = Graph(name: "broken")
        graph.node("n").setHTMLLabel("<B>unclosed \u{1b}[2J")
        XCTAssertThrowsError(try graph.layout()) { error in
            let message = "\(error)"
            XCTAssertFalse(message.unicodeScalars.contains { $0.properties.generalCategory == .control }, message)
            XCTAssertTrue(message.contains("in label of node n"), message)
        }
    }
}
