import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Graphviz
import XCTest

/// x * x drawn the way the renderer will: two forward edges from x into the product
/// (keys tell them apart), each with its gradient edge drawn dir=back, inside clusters.
func makeSampleGraph(name: String = "sample") -> Graph {
    let graph = Graph(name: name)
    graph["rankdir"] = "TB"
    graph["nslimit"] = "1"
    graph.setDefault("shape", "box", for: .node)
    graph.setDefault("fontsize", "12", for: .edge)

    let inputs = graph.subgraph("cluster_inputs")
    inputs["label"] = "inputs"
    let x = inputs.node("x")
    x.setHTMLLabel("<B>x</B><BR/>data 3.0 &amp; grad 6.0")

    let ops = graph.subgraph("cluster_ops")
    ops["style"] = "dashed"
    let inner = ops.subgraph("cluster_inner")
    let product = inner.node("mul")
    product.setLabel("x * x")
    let loss = ops.node("loss")

    for (index, side) in ["lhs", "rhs"].enumerated() {
        graph.edge(from: x, to: product, key: "forward_\(side)")["xlabel"] = "\(index)"
        let gradient = graph.edge(from: x, to: product, key: "gradient_\(side)")
        gradient["dir"] = "back"
        gradient["color"] = "red"
    }
    graph.edge(from: product, to: loss, key: "forward")
    return graph
}

func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

final class RenderTests: XCTestCase {
    func testSVGIsWellFormedXMLWithClustersAndAllEdges() throws {
        let svg = try makeSampleGraph().render(format: "svg")
        let document = try XMLDocument(data: Data(svg))
        let groups = try document.nodes(forXPath: "//*[local-name()='g']")
        // attribute(forName:) finds nothing on elements in the SVG namespace here.
        let classes = groups.compactMap { ($0 as? XMLElement)?.attributes?.first { $0.name == "class" }?.stringValue }
        XCTAssertEqual(classes.filter { $0 == "cluster" }.count, 3)
        XCTAssertEqual(classes.filter { $0 == "node" }.count, 3)
        XCTAssertEqual(classes.filter { $0 == "edge" }.count, 5, "two keyed edges per direction plus mul -> loss")
        XCTAssertTrue(text(svg).contains("<title>sample</title>"))
        XCTAssertTrue(text(svg).contains("font-weight=\"bold\""), "the HTML label's <B> reached the drawing")
    }

    func testPNGAndPDFHaveTheirMagicBytes() throws {
        let graph = makeSampleGraph()
        let png = try graph.render(format: "png")
        XCTAssertEqual(Array(png.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        let pdf = try graph.render(format: "pdf")
        XCTAssertEqual(text(Array(pdf.prefix(5))), "%PDF-")
    }

    func testDOTOutputHasTheNodesAndBothKeyedEdges() throws {
        let dot = text(try makeSampleGraph().render(format: "dot"))
        for name in ["x", "mul", "loss", "cluster_inputs", "cluster_inner"] {
            XCTAssertTrue(dot.contains(name), name)
        }
        for key in ["forward_lhs", "forward_rhs", "gradient_lhs", "gradient_rhs"] {
            XCTAssertTrue(dot.contains("key=\(key)"), key)
        }
        XCTAssertEqual(dot.components(separatedBy: "x -> mul").count - 1, 4)
        XCTAssertTrue(dot.contains("label=<<B>x</B>"), "HTML label written as HTML")
        XCTAssertTrue(dot.contains("pos="), "dot output carries the layout")
    }

    func testPlainAndCanonFormats() throws {
        let graph = makeSampleGraph()
        XCTAssertTrue(text(try graph.render(format: "plain")).hasPrefix("graph "))
        XCTAssertTrue(text(try graph.render(format: "canon")).hasPrefix("digraph sample {"))
    }

    func testUnknownFormatThrows() {
        XCTAssertThrowsError(try makeSampleGraph().render(format: "nonsense")) { error in
            guard case GraphvizError.unknownFormat("nonsense", let available) = error else {
                return XCTFail("\(error)")
            }
            XCTAssertTrue(available.contains("svg"))
        }
    }

    func testUnknownLayoutEngineThrows() {
        XCTAssertThrowsError(try makeSampleGraph().layout(engine: "nonsense")) { error in
            guard case GraphvizError.unknownLayoutEngine("nonsense", let available) = error else {
                return XCTFail("\(error)")
            }
            XCTAssertTrue(available.contains("dot"))
        }
    }

    func testMalformedHTMLLabelThrowsWithGraphvizMessage() {
        let graph = makeSampleGraph()
        graph.node("broken").setHTMLLabel("<B>unclosed</I>")
        XCTAssertThrowsError(try graph.render(format: "svg")) { error in
            guard case let GraphvizError.layoutFailed(engine, message) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(engine, "dot")
            XCTAssertTrue(message.contains("mismatched tag"), message)
            XCTAssertTrue(message.contains("broken"), "names the node: \(message)")
        }
        // The failure is not sticky: fixing the label makes the graph render.
        graph.node("broken").setHTMLLabel("<B>closed</B>")
        XCTAssertNoThrow(try graph.render(format: "svg"))
    }

    func testConcentrateIsRefused() {
        let graph = makeSampleGraph()
        graph["concentrate"] = "true"
        XCTAssertThrowsError(try graph.layout()) { error in
            guard case GraphvizError.unsafeAttribute(name: "concentrate", _, _) = error else { return XCTFail("\(error)") }
        }
    }

    func testSameCallsGiveIdenticalSVG() throws {
        let first = try makeSampleGraph().render(format: "svg")
        let second = try makeSampleGraph().render(format: "svg")
        XCTAssertEqual(first, second)
        // Rendering other formats from the same layout does not disturb the SVG.
        let graph = makeSampleGraph()
        _ = try graph.render(format: "dot")
        _ = try graph.render(format: "png")
        XCTAssertEqual(try graph.render(format: "svg"), first)
    }

    /// cgraph's default IDs are the addresses of the pooled names and subgraphs are kept in
    /// ID order, so cluster order followed malloc. Here the names are pooled (as tooltips)
    /// in reverse before the clusters exist; the graph's ID discipline keeps creation order.
    func testClustersKeepCreationOrder() throws {
        let graph = Graph(name: "order")
        let names = (0..<20).map { "cluster_\($0)" }
        for name in names.reversed() { graph.node("tip_" + name)["tooltip"] = name }
        for name in names { graph.subgraph(name).node("in_" + name) }
        let svg = text(try graph.render(format: "svg"))
        let positions = try names.map { try XCTUnwrap(svg.range(of: "<title>\($0)</title>")).lowerBound }
        XCTAssertEqual(positions, positions.sorted())
    }

    func testChangingTheGraphAfterLayoutLaysOutAgain() throws {
        let graph = makeSampleGraph()
        try graph.layout()
        XCTAssertNotNil(graph.node("x").position, "looking a node up keeps the layout")
        let late = graph.node("late")
        XCTAssertNil(late.position, "a new node drops the stale layout")
        graph.edge(from: graph.node("loss"), to: late, key: "forward")
        let svg = text(try graph.render(format: "svg"))
        XCTAssertTrue(svg.contains("<title>late</title>"))
        XCTAssertNotNil(late.position)
    }

    func testPositionsAndBoundingBoxesAfterLayout() throws {
        let graph = makeSampleGraph()
        XCTAssertNil(graph.boundingBox)
        XCTAssertNil(graph.node("x").position)
        try graph.layout()
        let bounds = try XCTUnwrap(graph.boundingBox)
        let x = try XCTUnwrap(graph.node("x").position)
        let mul = try XCTUnwrap(graph.node("mul").position)
        XCTAssertGreaterThan(x.y, mul.y, "rankdir=TB with y growing upwards: x is above its product")
        let inner = try XCTUnwrap(graph.subgraph("cluster_ops").subgraph("cluster_inner").boundingBox)
        let mulBox = try XCTUnwrap(graph.node("mul").boundingBox)
        for box in [inner, mulBox] {
            XCTAssertLessThanOrEqual(bounds.lowerLeft.x, box.lowerLeft.x)
            XCTAssertGreaterThanOrEqual(bounds.upperRight.y, box.upperRight.y)
        }
        XCTAssertLessThanOrEqual(inner.lowerLeft.x, mulBox.lowerLeft.x)
        XCTAssertGreaterThanOrEqual(inner.upperRight.x, mulBox.upperRight.x)
        XCTAssertGreaterThan(mulBox.width, 0)
    }

    func testAttributesReadBackAndResetToDefault() {
        let graph = Graph(name: "attributes")
        let a = graph.node("a")
        let b = graph.node("b")
        XCTAssertNil(a["color"])
        a["color"] = "red"
        XCTAssertEqual(a["color"], "red")
        XCTAssertEqual(b["color"], "", "declared for every node with Graphviz's 'unset'")
        a["label"] = "A"
        XCTAssertEqual(b["label"], "\\N", "other nodes keep their name as label")
        a["label"] = nil
        XCTAssertEqual(a["label"], "\\N")
        graph.setDefault("shape", "box", for: .node)
        XCTAssertEqual(graph.node("c")["shape"], "box")
        XCTAssertEqual(graph.edge(from: a, to: b, key: "k"), graph.edge(from: a, to: b, key: "k"))
        XCTAssertNotEqual(graph.edge(from: a, to: b, key: "k"), graph.edge(from: a, to: b, key: "other"))
    }

    /// Rendering into a file says how far it is; the file holds what render(format:) gives.
    func testRenderingIntoAFileReportsProgress() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("gradviz-progress-\(getpid()).svg").path
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        XCTAssertGreaterThanOrEqual(fd, 0)
        defer { close(fd); unlink(path) }
        final class Reports: @unchecked Sendable { var bytes: [Int] = [] }
        let reports = Reports()
        XCTAssertNil(try makeSampleGraph().render(format: "svg", to: fd, reportEvery: 1_000) { reports.bytes.append($0) })
        let written = try Data(contentsOf: URL(fileURLWithPath: path))
        XCTAssertEqual([UInt8](written), try makeSampleGraph().render(format: "svg"))
        XCTAssertFalse(reports.bytes.isEmpty)
        XCTAssertEqual(reports.bytes, reports.bytes.sorted())
        XCTAssertLessThanOrEqual(reports.bytes.last ?? .max, written.count)
        XCTAssertGreaterThanOrEqual(reports.bytes.count, written.count / 1_000 / 2, "about one report per 1,000 bytes")
        XCTAssertNil(try makeSampleGraph().render(format: "svg", to: fd), "no progress asked: none given")
    }
}
