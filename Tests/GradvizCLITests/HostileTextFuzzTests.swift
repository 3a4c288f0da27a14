import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import GradvizCore
import GradvizModel
import GradvizRender
import XCTest

/// Models with hostile text in every text field (issue 13, "Tests"): every output in every
/// format is produced, or refused with one clean line; every SVG parses as XML, has no
/// element or attribute a plain twin of the model lacks, and shows the model's name as
/// written. Seeded, so a failure names the seed that reproduces it.
final class HostileTextFuzzTests: XCTestCase {
    /// Pieces of JSON string text (escapes as JSON writes them) that attack Graphviz, XML,
    /// HTML, terminals or C strings.
    static let pieces = [
        "&nbsp;", "&e;", "&#x110000;", "&#0;", "&#x1;", "&#xD800;", "&#38;", "&amp;", "&lt;", "&", "&;", "&#;",
        "<b>x</b>", "<script>alert(1)</script>", "<!-- c -->", "]]>", "<![CDATA[", "<BR/>", "<TABLE>",
        #"\""#, "'", #"\\N"#, #"\\G"#, #"\\L"#, #"\\E"#, #"\\H"#, #"\\T"#, #"\\n"#, #"\\l"#, #"\\"#,
        #"\u0000"#, #"\u0001"#, #"\u001b[2J"#, #"\u001b]0;title\u0007"#, #"\u007f"#, #"\u0085"#, #"\n"#, #"\r"#, #"\t"#,
        #"\u2028"#, #"\u202e"#, #"\ufffe"#, #"\uffff"#, #"\ufdd0"#, #"\udbff\udfff"#, #"\ud83d\ude00"#,
        "%s%n", "{}", "σ(wᵀx)", " ", "  ", "/", "gradviz: m.json:1:1: forged", String(repeating: "long ", count: 60),
    ]

    struct Text {
        var generator: SeededGenerator
        /// One to three pieces, now and then with a lone surrogate, which JSON refuses.
        mutating func next() -> String {
            let count = Int.random(in: 1...3, using: &generator)
            var text = (0..<count).map { _ in HostileTextFuzzTests.pieces.randomElement(using: &generator)! }.joined()
            if Int.random(in: 0..<200, using: &generator) == 0 { text += #"\ud800"# }
            return text
        }
    }

    /// A model with `text` in every text field: its name and description, an input's label
    /// and doc, a function's doc, nodes' labels, docs and (nested) groups, an expression
    /// node, a multi-output op and a composite call, so every kind of label is drawn.
    static func model(_ text: () -> String) -> String {
        // A group path has no empty parts ("a//b" is refused): "/" stays a separator.
        func part() -> String { text().replacingOccurrences(of: "/", with: "|") }
        return #"""
        {"name": "\#(text())", "description": "\#(text())",
         "inputs": {"x": {"value": [1.5, -2, 0.5, 3], "label": "\#(text())", "doc": "\#(text())"},
                    "w": {"value": 0.7, "label": "\#(text())"},
                    "t": {"value": [0, 1], "grad": false, "doc": "\#(text())"}},
         "functions": {"f": {"params": ["a"], "body": "a * sigmoid(a)", "doc": "\#(text())"}},
         "nodes": [
          {"id": "h", "op": "f", "inputs": ["x"], "label": "\#(text())", "group": "\#(part())/\#(part())", "doc": "\#(text())"},
          {"outputs": ["p", "q"], "op": "split", "inputs": ["h"], "attrs": {"axis": 0, "sizes": [2, 2]}, "label": "\#(text())", "group": "\#(part())"},
          {"id": "r", "expr": "p * w + q", "label": "\#(text())", "doc": "\#(text())"},
          {"id": "L", "op": "mse_loss", "inputs": ["r", "t"], "label": "\#(text())", "doc": "\#(text())"}
         ],
         "outputs": ["L"]}
        """#
    }

    /// 20 seeds by default, to keep the suite quick; `HOSTILE_FUZZ_COUNT=400 swift test
    /// --filter HostileTextFuzzTests` tries more.
    static let seeds: [UInt64] = Array(1...UInt64(max(1, Int(ProcessInfo.processInfo.environment["HOSTILE_FUZZ_COUNT"] ?? "") ?? 20)))

    /// The drawing in every format and the result JSON, in-process: fast enough for many
    /// seeds.
    func testEveryFormatIsDrawnOrRefusedInOneLine() throws {
        let plain = try drawing(of: Self.model { "t" })
        let allowed = try Self.markup(of: plain)
        var drawn = 0
        for seed in Self.seeds {
            var text = Text(generator: SeededGenerator(seed: seed))
            let json = Self.model { text.next() }
            let loaded: (Model, Gradients)
            do {
                let model = try ModelLoader(file: "m.json").load(json)
                loaded = (model, try model.backward())
            } catch {
                let message = "\(error)"
                XCTAssertTrue(message.hasPrefix("m.json:"), "seed \(seed): \(message)")
                XCTAssertTrue(message.contains("unpaired surrogate"), "seed \(seed): only a lone surrogate is refused: \(message)")
                Self.assertClean(message, "seed \(seed)")
                continue
            }
            drawn += 1
            // Both layouts, dot's and gradviz's own, take turns.
            var options = RenderOptions()
            options.layout = seed % 2 == 0 ? .dot : .layered
            let svg = try Renderer.render(loaded.0, loaded.1, format: .svg, options: options)
            let found = try Self.markup(of: svg, seed: seed)
            XCTAssertTrue(found.elements.isSubset(of: allowed.elements), "seed \(seed): elements \(found.elements.subtracting(allowed.elements))")
            XCTAssertTrue(found.attributes.isSubset(of: allowed.attributes), "seed \(seed): attributes \(found.attributes.subtracting(allowed.attributes))")
            // (Graphviz writes the second of two spaces as U+00A0.)
            XCTAssertEqual(found.title?.replacingOccurrences(of: "\u{A0}", with: " "), visibleText(loaded.0.name ?? ""), "seed \(seed): the name as written")
            for text in found.texts { Self.assertClean(text, "seed \(seed): SVG text") }
            // Every label as written, in a node's text (pieces concatenated) and in tooltips:
            // a \\G in it is not the graph's name, an &amp; not an ampersand.
            let all = found.texts.joined().replacingOccurrences(of: "\u{A0}", with: " ")
            for annotations in loaded.0.annotations.values {
                for (key, text) in [("label", annotations.label), ("doc", annotations.doc)] {
                    guard let text, !text.isEmpty else { continue }
                    let shown = visibleText(text, keepingLineFeeds: key == "doc")
                    XCTAssertTrue(all.contains(shown), "seed \(seed): \(key) \(shown.debugDescription) not shown as written")
                }
            }
            // Every format, for every fourth model (PNG and PDF cost more).
            if seed % 4 == 0 {
                for format in [OutputFormat.dot, .png, .pdf] {
                    XCTAssertFalse(try Renderer.render(loaded.0, loaded.1, format: format, options: RenderOptions()).isEmpty, "seed \(seed): \(format)")
                }
            }
            let result = ResultJSON.write(loaded.0, loaded.1)
            XCTAssertNotNil(try? JSONSerialization.jsonObject(with: Data(result)), "seed \(seed): result JSON")
        }
        XCTAssertGreaterThan(drawn, Self.seeds.count / 2, "most models are valid")
    }

    /// What the command line does with such models: every command and format.
    func testTheCommandLineWritesEveryOutput() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var text = Text(generator: SeededGenerator(seed: 2026))
        var written = 0
        for round in 0..<2 {
            var json: String
            repeat { json = Self.model { text.next() } } while json.contains(#"\ud800"#)   // one that loads
            let path = dir.appendingPathComponent("m\(round).json").path
            try Data(json.utf8).write(to: URL(fileURLWithPath: path))
            let runs = [(["-o", "o.svg"], "o.svg"), (["-o", "o.png"], "o.png"), (["-o", "o.pdf"], "o.pdf"),
                        (["-o", "o.dot"], "o.dot"), (["-o", "o.json"], "o.json"), (["-o", "o.html"], "o.html"),
                        (["--view", "backward", "--theme", "dark", "-o", "b.svg"], "b.svg"),
                        (["--layout", "layered", "-o", "l.svg"], "l.svg")]
            for (arguments, output) in round == 0 ? runs : [runs[0]] {
                let r = try CLI.run([path] + arguments, in: dir)
                XCTAssertEqual(r.status, 0, "round \(round) \(arguments): \(r.stderr)")
                XCTAssertEqual(r.stderr, "", "round \(round) \(arguments)")
                XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent(output).path))
                if output.hasSuffix(".html") {
                    // The explorer's own two scripts and no other: the text stays text.
                    let html = try String(contentsOf: dir.appendingPathComponent(output), encoding: .utf8)
                    XCTAssertEqual(html.components(separatedBy: "<script").count, 3, "round \(round): scripts in the page")
                    XCTAssertFalse(html.lowercased().contains("<script>alert"), "round \(round)")
                }
                if output.hasSuffix(".svg") { _ = try Self.markup(of: Array(try Data(contentsOf: dir.appendingPathComponent(output))), seed: UInt64(round)) }
            }
            for report in ["report.svg", "report.json"] {
                let r = try CLI.run(["check", path, "-o", report], in: dir)
                XCTAssertTrue([0, 1].contains(r.status), "round \(round) check: \(r.stderr)")
                for line in r.out.split(separator: "\n") { Self.assertClean(String(line), "round \(round): check table") }
                written += 1
            }
            _ = try Self.markup(of: Array(try Data(contentsOf: dir.appendingPathComponent("report.svg"))), seed: UInt64(round))
            XCTAssertNotNil(try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("report.json"))))
        }
        XCTAssertEqual(written, 4)
    }

    /// Hostile text where the model allows none (ids, op and function names, keys): refused
    /// with one line naming the file, the text shown escaped.
    func testHostileNamesAreRefusedInOneLine() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var text = Text(generator: SeededGenerator(seed: 13))
        for round in 0..<2 {
            let evil = text.next()
            let models = [
                #"{"inputs": {"\#(evil)": 1}, "nodes": []}"#,
                #"{"inputs": {"x": 1}, "nodes": [{"id": "\#(evil)", "op": "exp", "inputs": ["x"]}]}"#,
                #"{"inputs": {"x": 1}, "nodes": [{"id": "y", "op": "\#(evil)", "inputs": ["x"]}]}"#,
                #"{"inputs": {"x": 1}, "nodes": [{"id": "y", "op": "exp", "inputs": ["\#(evil)"]}]}"#,
                #"{"inputs": {"x": 1}, "nodes": [{"id": "y", "expr": "exp(x) + \#(evil)"}]}"#,
                #"{"inputs": {"x": 1}, "functions": {"\#(evil)": {"params": ["a"], "body": "a"}}, "nodes": []}"#,
                #"{"inputs": {"x": 1}, "nodes": [{"id": "y", "op": "exp", "inputs": ["x"]}], "outputs": ["\#(evil)"]}"#,
                #"{"\#(evil)": 1, "inputs": {"x": 1}, "nodes": []}"#,
            ]
            for (k, model) in models.enumerated() {
                let path = dir.appendingPathComponent("bad.json").path
                try Data(model.utf8).write(to: URL(fileURLWithPath: path))
                let r = try CLI.run(k % 2 == 0 ? [path, "-o", "o.svg"] : ["check", path], in: dir)
                XCTAssertEqual(r.status, 2, "round \(round) model \(k): \(r.stderr)")
                XCTAssertEqual(r.stderr.filter { $0 == "\n" }.count, 1, "round \(round) model \(k): one line: \(r.stderr.debugDescription)")
                XCTAssertTrue(r.stderr.hasPrefix("gradviz: \(path):"), "round \(round) model \(k): \(r.stderr)")
                Self.assertClean(String(r.stderr.dropLast()), "round \(round) model \(k)")
            }
        }
    }

    // MARK: Checks

    /// No character that could split a line, drive a terminal or break XML.
    static func assertClean(_ text: String, _ context: String, file: StaticString = #filePath, line: UInt = #line) {
        if let bad = text.unicodeScalars.first(where: { isShownEscaped($0) && $0 != "\n" }) {
            XCTFail("\(context): \(codePointName(bad)) in \(text.debugDescription)", file: file, line: line)
        }
    }

    func drawing(of json: String) throws -> [UInt8] {
        let model = try ModelLoader(file: "plain.json").load(json)
        return try Renderer.render(model, try model.backward(), format: .svg, options: RenderOptions())
    }

    struct Markup {
        var elements: Set<String> = []
        var attributes: Set<String> = []
        var texts: [String] = []
        var title: String?
    }

    /// The element and attribute names of an SVG, its texts and its first <title>; fails
    /// the test when it is not XML.
    static func markup(of svg: [UInt8], seed: UInt64 = 0, file: StaticString = #filePath, line: UInt = #line) throws -> Markup {
        final class Collector: NSObject, XMLParserDelegate {
            var markup = Markup()
            var inTitle = false
            var text = ""
            func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
                markup.elements.insert(name)
                markup.attributes.formUnion(attributes.keys)
                markup.texts.append(contentsOf: attributes.values)
                inTitle = name == "title" && markup.title == nil
                text = ""
            }
            func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }
            func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
                if inTitle { markup.title = text; inTitle = false }
                markup.texts.append(text)
                text = ""
            }
        }
        let parser = XMLParser(data: Data(svg))
        let collector = Collector()
        parser.delegate = collector
        // The DOCTYPE names an external DTD: not fetched.
        parser.shouldResolveExternalEntities = false
        if !parser.parse() {
            XCTFail("seed \(seed): not XML: \(parser.parserError.map { "\($0)" } ?? "?")", file: file, line: line)
        }
        return collector.markup
    }
}
