import Foundation
import XCTest
import GradvizCore
import GradvizModel
@testable import GradvizRender

/// The explorer page as bytes: deterministic, self-contained, and no model text able to
/// end the element it sits in. What it does in a browser is tested in Tests/browser.
final class ExplorerTests: XCTestCase {
    let hostile = #"""
        {"name": "</script><script>alert(1)</script>", "description": "a\u2028b\u2029c <!-- & -->",
         "inputs": {"x": {"value": 2, "label": "<img src=x onerror=alert(1)>"}},
         "nodes": [{"id": "L", "op": "mul", "inputs": ["x", "x"], "label": "</SCRIPT ><b>", "doc": "]]> </style>"}]}
        """#

    func page(_ json: String, _ options: RenderOptions = RenderOptions()) throws -> String {
        let model = try ModelLoader(file: "test.json").load(Array(json.utf8))
        return String(decoding: try Explorer.page(model, try model.backward(), options: options), as: UTF8.self)
    }

    func testTheSameModelGivesTheSameBytes() throws {
        let model = try ModelLoader.load(path: RenderTests.packageRoot.appendingPathComponent("samples/mlp.json").path)
        let grads = try model.backward()
        let a = try Explorer.page(model, grads, options: RenderOptions())
        let b = try Explorer.page(model, grads, options: RenderOptions())
        XCTAssertEqual(a, b)
    }

    func testModelTextCannotEndItsElement() throws {
        let html = try page(hostile)
        let data = try XCTUnwrap(html.range(of: "<script type=\"application/json\" id=\"gv-data\">"))
        let end = try XCTUnwrap(html.range(of: "</script>", range: data.upperBound..<html.endIndex))
        let json = String(html[data.upperBound..<end.lowerBound])
        for bad in ["<", ">", "&", "\u{2028}", "\u{2029}"] { XCTAssertFalse(json.contains(bad), "raw \(bad) in the embedded JSON") }
        XCTAssertTrue(json.contains(#"\u003c/script\u003e\u003cscript\u003ealert(1)\u003c/script\u003e"#))
        // The JSON still reads back to the same text.
        let parsed = try JSONValue.parse(Array(json.utf8))
        XCTAssertEqual(parsed["title"]?.stringValue, "</script><script>alert(1)</script>")
        // Exactly the page's two scripts and one style; model text appears only escaped.
        XCTAssertEqual(html.components(separatedBy: "<script").count - 1, 2)
        XCTAssertEqual(html.components(separatedBy: "</script>").count - 1, 2)
        XCTAssertFalse(html.contains("<img"))
        XCTAssertFalse(html.lowercased().contains("</script ><b>"))
        XCTAssertFalse(html.contains("<!-- &"))
    }

    func testThePolicyAllowsExactlyThePagesOwnScriptAndStyle() throws {
        let html = try page(hostile)
        let script = Array(ExplorerPage.script.utf8), style = Array(ExplorerPage.style.utf8)
        XCTAssertTrue(html.contains("script-src 'sha256-\(SHA256.base64(script))'"))
        XCTAssertTrue(html.contains("style-src 'sha256-\(SHA256.base64(style))'"))
        XCTAssertTrue(html.contains("<script>\(ExplorerPage.script)</script>"))
        XCTAssertTrue(html.contains("<style>\(ExplorerPage.style)</style>"))
        XCTAssertTrue(html.contains("default-src 'none'"))
        XCTAssertFalse(ExplorerPage.script.contains("innerHTML"), "the script builds the DOM from text nodes")
        XCTAssertFalse(ExplorerPage.script.lowercased().contains("</script"))
        XCTAssertFalse(html.contains("http://") && !html.contains("http://www.w3.org"), "no remote address")
        for remote in ["https://", "@import", "url("] { XCTAssertFalse(html.contains(remote), remote) }
    }

    func testSHA256KnownAnswers() {
        XCTAssertEqual(SHA256.base64([]), "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=")
        XCTAssertEqual(SHA256.base64(Array("abc".utf8)), "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=")
        let long = Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)
        XCTAssertEqual(SHA256.digest(long).map { String(format: "%02x", $0) }.joined(),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    func testLargeTensorsAreSummarisedWithStatisticsOfTheWhole() throws {
        let html = try page(#"{"inputs": {"w": {"shape": [100, 50], "init": "arange"}}, "nodes": [{"id": "L", "expr": "sum(w)"}]}"#)
        let start = try XCTUnwrap(html.range(of: "id=\"gv-data\">"))
        let end = try XCTUnwrap(html.range(of: "</script>", range: start.upperBound..<html.endIndex))
        let data = try JSONValue.parse(Array(html[start.upperBound..<end.lowerBound].utf8))
        let w = try XCTUnwrap(data["nodes"]?.arrayElements?.first?["value"]?.arrayElements?.first)
        XCTAssertEqual(w["data"]?.arrayElements?.count, ExplorerData.elementLimit)
        XCTAssertEqual(w["count"]?.doubleValue, 5000)
        XCTAssertEqual(w["max"]?.doubleValue, 4999)
        XCTAssertEqual(w["mean"]?.doubleValue, 2499.5)
    }

    /// The explorer's statistics and an edge label's are one computation, so they agree
    /// even where min and max are ambiguous.
    func testStatisticsSkipNonFiniteAndKeepTheFirstOfATie() {
        let s = NumberFormat.Statistics(Tensor(shape: [5], data: [-0.0, .nan, 0.0, -.infinity, 3]))
        XCTAssertEqual(s.finiteCount, 3)
        XCTAssertEqual(s.min.sign, .minus)
        XCTAssertEqual(s.max, 3)
        XCTAssertEqual(s.mean, 1)
        XCTAssertTrue(s.norm.isNaN)  // as torch.linalg.norm: a NaN element makes it NaN
        let ties = NumberFormat.Statistics(Tensor(shape: [2], data: [0.0, -0.0]))
        XCTAssertEqual(ties.max.sign, .plus)
        XCTAssertEqual(ties.min.sign, .plus)
        let none = NumberFormat.Statistics(Tensor(shape: [2], data: [.nan, .infinity]))
        XCTAssertEqual(none.finiteCount, 0)
        XCTAssertTrue(none.min.isNaN && none.mean.isNaN && none.max.isNaN)
        let label = NumberFormat(precision: 4).preview(Tensor(shape: [5], data: [-0.0, .nan, 0.0, -.infinity, 3]))
        XCTAssertTrue(label.contains("min 0 μ 1 max 3"), label)
    }

    func testTheEnginesOrderAndLocalDerivatives() throws {
        let html = try page(#"{"inputs": {"x": -2, "y": 5, "z": -4}, "nodes": [{"id": "q", "op": "add", "inputs": ["x", "y"]}, {"id": "L", "op": "mul", "inputs": ["q", "z"]}]}"#)
        let start = try XCTUnwrap(html.range(of: "id=\"gv-data\">"))
        let end = try XCTUnwrap(html.range(of: "</script>", range: start.upperBound..<html.endIndex))
        let data = try JSONValue.parse(Array(html[start.upperBound..<end.lowerBound].utf8))
        XCTAssertEqual(data["backward"], try JSONValue.parse("[4, 3]"))
        XCTAssertEqual(data["forward"], try JSONValue.parse("[3, 4]"))
        let L = try XCTUnwrap(data["nodes"]?.arrayElements?[4])
        XCTAssertEqual(L["local"], try JSONValue.parse("[-4, 3]"))
        XCTAssertEqual(L["inputs"]?.arrayElements?.map { $0["grad"] }, [try JSONValue.parse("-4"), try JSONValue.parse("3")])
    }

    func testHTMLIsNotAGraphvizFormat() throws {
        let model = try ModelLoader(file: "t.json").load(Array(#"{"inputs": {"x": 1}, "nodes": [{"id": "y", "expr": "x * x"}]}"#.utf8))
        XCTAssertThrowsError(try Renderer.render(model, try model.backward(), format: .html, options: RenderOptions()))
        XCTAssertEqual(OutputFormat(path: "graph.HTML"), .html)
    }
}
