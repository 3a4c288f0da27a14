import Foundation
import XCTest
import GradvizModel

final class CommandTests: XCTestCase {
    let seeded = #"{"inputs": {"W": {"shape": [2, 3], "init": "normal", "std": 0.5, "seed": 7}, "u": {"shape": [4], "init": "uniform", "low": -1, "high": 1}, "k": {"shape": [2, 2], "init": "arange"}}, "nodes": [{"id": "L", "expr": "sum(W) + sum(u) + sum(k)"}]}"#

    func testSeededInitsAreTheSameOnEveryRunAndPinned() throws {
        let a = try CLI.run(["-", "-o", "-", "--format", "json"], stdin: Data(seeded.utf8))
        let b = try CLI.run(["-", "-o", "-", "--format", "json"], stdin: Data(seeded.utf8))
        XCTAssertEqual(a.status, 0, a.stderr)
        XCTAssertEqual(a.stdout, b.stdout, "byte-identical results")
        let values = try XCTUnwrap(JSONValue.parse(Array(a.stdout))["values"])
        XCTAssertEqual(values["k"], try JSONValue.parse("[[0, 1], [2, 3]]"))
        let u = try XCTUnwrap(values["u"]?.arrayElements?.compactMap(\.doubleValue))
        XCTAssertEqual(u.count, 4)
        XCTAssertTrue(u.allSatisfy { $0 >= -1 && $0 < 1 }, "\(u)")
        let w = try XCTUnwrap(values["W"]?.arrayElements)
        XCTAssertEqual(w.count, 2)
    }

    // SplitMix64(seed 0) then Box–Muller, and the top 53 bits as a uniform: checked against
    // an independent Python implementation of the same algorithm.
    let pinnedNormal = #""n": [-1.8839083333524405, 0.22760793546360525]"#
    let pinnedUniform = #""u": [0.8833108082136426, 0.43152799704850997]"#

    func testSeededValuesArePinned() throws {
        let r = try CLI.run(["-", "-o", "-", "--format", "json"], stdin: Data(#"{"inputs": {"n": {"shape": [2], "init": "normal"}, "u": {"shape": [2], "init": "uniform"}}, "nodes": [{"id": "L", "expr": "sum(n * u)"}]}"#.utf8))
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.out.contains(pinnedNormal), "normal init changed: \(r.out)")
        XCTAssertTrue(r.out.contains(pinnedUniform), "uniform init changed: \(r.out)")
    }

    /// Graphviz 2.42's spline router prints "libpath/shortest.c:324: triangulation failed"
    /// straight to stderr on the unfolded 12-step RNN (dot lays it out first) and then
    /// draws the edge another way: stderr has gradviz's own lines only.
    func testGraphvizPrintsNothingOfItsOwn() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        for layout in ["auto", "dot"] {
            let r = try CLI.run([CLI.packageRoot.appendingPathComponent("samples/folding/rnn12.json").path,
                                 "-o", dir.appendingPathComponent("rnn12-\(layout).svg").path, "--layout", layout])
            XCTAssertEqual(r.status, 0, r.stderr)
            let foreign = r.stderr.split(separator: "\n").filter { !$0.hasPrefix("gradviz: ") }
            XCTAssertEqual(foreign, [], "--layout \(layout)")
        }
    }

    func testOpsListsEveryOpWithItsGradient() throws {
        let r = try CLI.run(["ops"])
        XCTAssertEqual(r.status, 0)
        for op in ["matmul(a, b)", "conv2d(x, w, [b])", "split(x) -> several outputs", "concat(x1, x2, ...)", "cross_entropy(logits, target)"] {
            XCTAssertTrue(r.out.contains(op), op)
        }
        XCTAssertEqual(r.out.components(separatedBy: "gradient:").count - 1, 43)
        XCTAssertTrue(r.out.contains("negative_slope: a number, default 0.01"))
        let one = try CLI.run(["ops", "sigmoid"])
        XCTAssertTrue(one.out.contains("dx = g * y (1 - y)"), one.out)
    }

    func testHelpShowsExamples() throws {
        let r = try CLI.run(["--help"])
        XCTAssertEqual(r.status, 0)
        XCTAssertTrue(r.out.contains("EXAMPLES"))
        XCTAssertTrue(try CLI.run(["check", "--help"]).out.contains("gradviz check model.json"))
    }

    func testUnknownFormatAndExtension() throws {
        let dir = try CLI.temporaryDirectory()
        try Data(seeded.utf8).write(to: dir.appendingPathComponent("m.json"))
        let r = try CLI.run(["m.json", "-o", "out.txt"], in: dir)
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("cannot tell the format"), r.stderr)
        XCTAssertEqual(try CLI.run(["m.json", "-o", "x", "--format", "gif"], in: dir).status, 2)
    }
}
