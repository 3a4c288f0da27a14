import Foundation
import XCTest

/// `--mark-failed` / `--mark-passed`: check marks from outside, drawn as `gradviz check` draws its own.
final class MarkOptionTests: XCTestCase {
    func sample(_ name: String) -> String { CLI.packageRoot.appendingPathComponent("samples/\(name).json").path }

    func testMarksAreDrawnLikeCheckFailures() throws {
        let r = try CLI.run([sample("swish_wrong_backward"), "-o", "-", "--format", "dot",
                             "--mark-failed", "h=PyTorch <disagrees>", "--mark-failed", "h:0=eager 1 vs traced 2", "--mark-passed", "y"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.out.contains("check-failed"), r.out)
        XCTAssertTrue(r.out.contains("check-passed"), r.out)
        XCTAssertTrue(r.out.contains("eager 1 vs traced 2"), r.out)
        XCTAssertTrue(r.out.contains("xlabel=\"✗ PyTorch <disagrees>\""), "the note is a quoted string, not an HTML label")
        let plain = try CLI.run([sample("swish_wrong_backward"), "-o", "-", "--format", "dot"])
        XCTAssertFalse(plain.out.contains("check-failed"))
    }

    func testBadMarksAreUsageErrors() throws {
        for (args, message) in [(["--mark-failed", "hh=x"], "no value named 'hh' (did you mean 'h'?)"),
                                (["--mark-failed", "h"], "expected ID=NOTE"),
                                (["--mark-failed", "h:1=x"], "slot '1' is not an input position"),
                                (["--mark-passed", "x"], "'x' is an input")] {
            let r = try CLI.run([sample("swish_wrong_backward"), "-o", "-", "--format", "dot"] + args)
            XCTAssertEqual(r.status, 2, "\(args)")
            XCTAssertTrue(r.stderr.contains(message), r.stderr)
            XCTAssertTrue(r.out.isEmpty)
        }
    }
}
