import Foundation
import XCTest

/// `gradviz model.json -o graph.html` and `gradviz check model.json -o report.html`.
final class ExplorerCommandTests: XCTestCase {
    func temporary(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("gradviz-explorer-\(getpid())-\(name)")
    }

    func testHTMLByExtensionAndByFormat() throws {
        let sample = CLI.packageRoot.appendingPathComponent("samples/add_mul.json").path
        let out = temporary("graph.html")
        defer { try? FileManager.default.removeItem(at: out) }
        let r = try CLI.run([sample, "-o", out.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let page = try Data(contentsOf: out)
        XCTAssertTrue(String(decoding: page, as: UTF8.self).hasPrefix("<!DOCTYPE html>"))
        let piped = try CLI.run([sample, "-o", "-", "--format", "html"])
        XCTAssertEqual(piped.status, 0, piped.stderr)
        XCTAssertEqual(piped.stdout, page, "same bytes by extension and by --format, run to run")
    }

    func testCheckReportAsHTML() throws {
        let sample = CLI.packageRoot.appendingPathComponent("samples/swish_wrong_backward.json").path
        let out = temporary("report.html")
        defer { try? FileManager.default.removeItem(at: out) }
        let r = try CLI.run(["check", sample, "-o", out.path])
        XCTAssertEqual(r.status, 1, "the check fails; the report is still written")
        let page = String(decoding: try Data(contentsOf: out), as: UTF8.self)
        XCTAssertTrue(page.contains(#""kind":"check""#))
        XCTAssertTrue(page.contains("Failed: "))
    }
}
