import XCTest
import GradvizCore
@testable import GradvizModel

/// Fixture files live beside the tests (copied from the shared PyTorch references).
enum Fixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")
    static func path(_ name: String) -> String { root.appendingPathComponent(name).path }
    static var referenceNames: [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: path("reference"))) ?? []
        return files.filter { $0.hasSuffix(".expected.json") }.map { String($0.dropLast(".expected.json".count)) }.sorted()
    }
}

/// Compares two JSON numbers or nested arrays to a relative 1e-10 (the references are
/// PyTorch float64; sums in another order differ in the last bits, not more).
func assertClose(_ a: JSONValue?, _ b: JSONValue?, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
    guard let a, let b else { return XCTFail("\(what): missing (\(a == nil ? "ours" : "expected"))", file: file, line: line) }
    switch (a.kind, b.kind) {
    case (.number(let x, _), .number(let y, _)):
        XCTAssertLessThanOrEqual(abs(x - y), 1e-10 * max(abs(x), abs(y)) + 1e-13, "\(what): \(x) vs expected \(y)", file: file, line: line)
    case (.array(let xs), .array(let ys)):
        guard xs.count == ys.count else { return XCTFail("\(what): \(xs.count) elements vs expected \(ys.count)", file: file, line: line) }
        for (i, (x, y)) in zip(xs, ys).enumerated() { assertClose(x, y, "\(what)[\(i)]", file: file, line: line) }
    default:
        XCTFail("\(what): \(JSONWriter.string(a)) vs expected \(JSONWriter.string(b))", file: file, line: line)
    }
}

final class ReferenceTests: XCTestCase {
    /// Every reference through the loader, the engine and the result writer.
    func testReferencesMatchPyTorch() throws {
        let names = Fixtures.referenceNames
        XCTAssertGreaterThanOrEqual(names.count, 8)
        for name in names {
            let model = try ModelLoader.load(path: Fixtures.path("reference/\(name).json"))
            let ours = try JSONValue.parse(ResultJSON.write(model, try model.backward()))
            let expected = try JSONValue.parse(Array(try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("reference/\(name).expected.json")))))
            XCTAssertEqual(JSONWriter.string(ours["outputs"]!), JSONWriter.string(expected["outputs"]!), name)
            for section in ["values", "grads"] {
                for m in expected[section]!.objectMembers! {
                    assertClose(ours[section]?[m.key], m.value, "\(name) \(section).\(m.key)")
                }
            }
            let ourEdges = ours["edges"]!.arrayElements!
            for e in expected["edges"]!.arrayElements! {
                let key = (e["from"]!.stringValue!, e["to"]!.stringValue!, e["slot"]!.intValue!)
                let matches = ourEdges.filter { ($0["from"]!.stringValue!, $0["to"]!.stringValue!, $0["slot"]!.intValue!) == key }
                XCTAssertEqual(matches.count, 1, "\(name): edge \(key)")
                if let m = matches.first { assertClose(m["grad"], e["grad"], "\(name) edge \(key)") }
            }
        }
    }
}
