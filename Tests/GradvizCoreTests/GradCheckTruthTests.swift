import XCTest
@testable import GradvizCore

/// What the checker calls a result: a NaN gradient is never ok, an infinite derivative is
/// not a wrong backward, and the worst element is the one the relative error names.
final class GradCheckTruthTests: XCTestCase {
    func testNaNGradientIsNeverOk() {
        // |x| at 0 is a kink; a NaN gradient there must still not pass.
        let r = GradCheck.compare(at: Tensor([0, 1]), analytic: Tensor([.nan, 1])) { x in x.data.map(Swift.abs).reduce(0, +) }
        XCTAssertFalse(r.passed)
        XCTAssertEqual(r.nonFiniteGradient.map(\.index), [0])
        XCTAssertEqual(r.kinks, [])
    }

    func testInfiniteDerivativeIsReportedAsSuch() {
        // sqrt at 0: the true derivative is +inf; finite differences steepen without bound.
        let r = GradCheck.compare(at: Tensor([0]), analytic: Tensor([.infinity])) { x in x.data[0].squareRoot() }
        XCTAssertTrue(r.passed)
        XCTAssertEqual(r.infiniteDerivative, [0])
        // cbrt at 0, steep on both sides.
        let c = GradCheck.compare(at: Tensor([0]), analytic: Tensor([.infinity])) { x in Foundation.cbrt(x.data[0]) }
        XCTAssertEqual(c.infiniteDerivative, [0])
        // The wrong sign is not the infinite derivative of sqrt.
        let s = GradCheck.compare(at: Tensor([0]), analytic: Tensor([-.infinity])) { x in x.data[0].squareRoot() }
        XCTAssertFalse(s.passed)
    }

    func testInfiniteGradientOfASmoothFunctionFails() {
        // 2x has slope 2 everywhere: an infinite backward is wrong.
        let r = GradCheck.compare(at: Tensor([0, 1]), analytic: Tensor([.infinity, 2])) { x in 2 * x.data.reduce(0, +) }
        XCTAssertFalse(r.passed)
        XCTAssertEqual(r.infiniteDerivative, [])
        XCTAssertEqual(r.nonFiniteGradient.map(\.index), [0])
    }

    func testOneSidedDomainIsNotAFailure() {
        // sqrt just above 0: x - h is outside the domain; nothing to compare, not a failure.
        let r = GradCheck.compare(at: Tensor([1e-9]), analytic: Tensor([0.5 / 1e-9.squareRoot()])) { x in x.data[0].squareRoot() }
        XCTAssertTrue(r.passed)
        XCTAssertEqual(r.kinks, [0])
    }

    func testMaxRelativeErrorIsTheQuotedElement() {
        // Element 0 is far off in absolute terms, element 1 in relative terms.
        let analytic = Tensor([100, 0.02, 3])
        let r = GradCheck.compare(at: Tensor([1, 1, 1]), analytic: analytic) { x in 101 * x.data[0] + 0.01 * x.data[1] + 3 * x.data[2] }
        XCTAssertEqual(r.mismatches.map(\.index), [1, 0])
        let worst = r.mismatches[0]
        let rel = Swift.abs(worst.analytic - worst.numeric) / (1e-7 / 1e-5 + Swift.max(Swift.abs(worst.analytic), Swift.abs(worst.numeric)))
        XCTAssertEqual(r.maxRelError, Swift.min(rel, 1), accuracy: 1e-9)
        // Below tolerance, the relative error stays below rtol: the two agree.
        let ok = GradCheck.compare(at: Tensor([1]), analytic: Tensor([1e-8])) { x in 0 * x.data[0] }
        XCTAssertTrue(ok.passed)
        XCTAssertLessThanOrEqual(ok.maxRelError, 1e-5)
    }

    func testGradientOriginIsTheFirstNodeInBackwardOrder() throws {
        // The distance between two equal points: sqrt's backward gives inf, square's 0 · inf NaN.
        let g = Graph()
        let a = g.input("a", Tensor([1, 2])), b = g.input("b", Tensor([1, 2]))
        let d = Value.must("sqrt", [Value.must("sum", [Value.must("square", [a - b])])])
        let grads = try g.backward(d)
        let origin = try XCTUnwrap(g.nonFiniteGradientOrigin(grads))
        XCTAssertEqual(origin.node, d.id.node)
        XCTAssertEqual(origin.first, .infinity)
        XCTAssertNil(g.nonFiniteOrigin())
        XCTAssertTrue(grads[a]!.data.allSatisfy(\.isNaN))
        let items = try GradCheck.check(g, outputs: [d.id])
        XCTAssertFalse(items.first { $0.subject == .input(a.id) }!.passed)
        let sqrtItem = items.first { $0.node == d.id.node }!
        XCTAssertTrue(sqrtItem.passed)
        XCTAssertEqual(sqrtItem.result.infiniteDerivative, [0])
    }
}
