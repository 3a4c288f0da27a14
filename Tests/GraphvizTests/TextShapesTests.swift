import CGraphvizShim
@testable import Graphviz
import XCTest

/// `Graph.keepsTextShapes`: a layout for svg or dot frees the shaped text of each label
/// (which only cairo's png and pdf writers draw from) as soon as it is measured.
final class TextShapesTests: XCTestCase {
    /// A chain of nodes whose edges carry values, like a drawing's.
    func labelledChain(_ count: Int, keepsShapes: Bool) -> Graph {
        let graph = Graph(name: "chain")
        graph.keepsTextShapes = keepsShapes
        graph["rankdir"] = "LR"
        var previous = graph.node("n0")
        previous.setHTMLLabel("<B>tanh</B><BR/>0.7616")
        for i in 1..<count {
            let node = graph.node("n\(i)")
            node.setHTMLLabel("<B>mul</B><BR/>\(Double(i) / 7)")
            graph.edge(from: previous, to: node, key: "forward").setLabel("\(Double(i) / 3)", attribute: "xlabel")
            let gradient = graph.edge(from: previous, to: node, key: "gradient")
            gradient["dir"] = "back"
            gradient.setLabel("g \(Double(i) / 11)", attribute: "xlabel")
            previous = node
        }
        return graph
    }

    func testDroppingShapesKeepsEveryByteOfSVGAndDOT() throws {
        XCTAssertTrue(Runtime.shared.locked { (try? Runtime.shared.contextLocked()) != nil && Runtime.shared.canDropTextShapes },
                      "Graphviz measures text with its pango plugin here, so shapes can be dropped")
        let kept = makeSampleGraph(), dropped = makeSampleGraph()
        dropped.keepsTextShapes = false
        XCTAssertEqual(try kept.render(format: "svg"), try dropped.render(format: "svg"))
        XCTAssertFalse(dropped.layoutHasTextShapes)
        XCTAssertEqual(try kept.render(format: "dot"), try dropped.render(format: "dot"))
        XCTAssertEqual(try labelledChain(40, keepsShapes: true).render(format: "svg"),
                       try labelledChain(40, keepsShapes: false).render(format: "svg"))
    }

    /// PNG and PDF draw text from its shapes: a graph laid out without them is laid out
    /// again with them first, and draws the same picture.
    func testPNGOfAGraphLaidOutWithoutShapesIsLaidOutAgain() throws {
        let kept = makeSampleGraph(), dropped = makeSampleGraph()
        dropped.keepsTextShapes = false
        try kept.layout()
        try dropped.layout()
        XCTAssertFalse(dropped.layoutHasTextShapes)
        XCTAssertEqual(try kept.render(format: "png"), try dropped.render(format: "png"))
        XCTAssertTrue(dropped.layoutHasTextShapes)
        let pdf = try labelledChain(10, keepsShapes: false).render(format: "pdf")
        XCTAssertEqual(String(decoding: pdf.prefix(5), as: UTF8.self), "%PDF-")
    }

    /// The point of it: memory in use after a layout, with and without the shapes, for 3,000
    /// pieces of text (at least a few hundred bytes each are freed).
    func testALayoutWithoutShapesHoldsLessMemory() throws {
        func heapInUse(afterLayingOut graph: Graph) throws -> Int {
            try graph.layout(engine: "dot")
            return gvshim_heap_in_use()
        }
        guard gvshim_heap_in_use() > 0 else { throw XCTSkip("no mallinfo2 here") }
        let dropped = labelledChain(1_000, keepsShapes: false), kept = labelledChain(1_000, keepsShapes: true)
        _ = try heapInUse(afterLayingOut: labelledChain(50, keepsShapes: true))  // fonts and caches loaded
        let before = gvshim_heap_in_use()
        let (withoutShapes, withShapes) = try withExtendedLifetime((dropped, kept)) {
            let withoutShapes = try heapInUse(afterLayingOut: dropped) - before
            return (withoutShapes, try heapInUse(afterLayingOut: kept) - before - withoutShapes)
        }
        print("laid out 1,000 nodes and 2,000 labelled edges: \(withoutShapes / 1024) KB without text shapes, \(withShapes / 1024) KB with")
        XCTAssertGreaterThan(withShapes - withoutShapes, 3_000 * 300)
    }
}
