import XCTest
@testable import GradvizCore

/// A user's op in Swift: forward and backward side by side, like the built-ins.
struct Cube: Op, NoAttributes {
    static let info = OpInfo(name: "cube", inputs: [InputSpec("x")], gradient: "dx = g * 3x²", summary: "x³")
    var mistake = ""
    init() {}
    init(mistake: String) { self.mistake = mistake }
    func outputShapes(_ s: [[Int]]) throws(OpError) -> [[Int]] { [s[0]] }
    func forward(_ x: [Tensor]) throws(OpError) -> [Tensor] { [x[0].map { $0 * $0 * $0 }] }
    func vjp(_ c: VJPContext) -> [Tensor?] {
        switch mistake {
        case "missing factor": return [Tensor.zip(c.g, c[0]) { g, x in g * x * x }]
        case "wrong sign": return [Tensor.zip(c.g, c[0]) { g, x in -3 * g * x * x }]
        default: return [Tensor.zip(c.g, c[0]) { g, x in 3 * g * x * x }]
        }
    }
}

/// y = x @ W with a backward that may transpose the wrong operand.
struct Linear: Op, NoAttributes {
    static let info = OpInfo(name: "linear", inputs: [InputSpec("x"), InputSpec("W")], gradient: "dx = g Wᵀ; dW = xᵀ g", summary: "x @ W")
    var wrongTranspose = false
    init() {}
    func outputShapes(_ s: [[Int]]) throws(OpError) -> [[Int]] { try Matmul().outputShapes(s) }
    func forward(_ x: [Tensor]) throws(OpError) -> [Tensor] { try Matmul().forward(x) }
    func vjp(_ c: VJPContext) -> [Tensor?] {
        let right = Matmul().vjp(c)
        guard wrongTranspose else { return right }
        // dW = x g instead of xᵀ g: same shape when square, wrong values.
        return [right[0], try! Matmul().forward([c[0], c.g])[0]]
    }
}

/// y = x + b with b broadcast, whose backward forgets to sum b's gradient back.
struct BiasAdd: Op, NoAttributes {
    static let info = OpInfo(name: "bias_add", inputs: [InputSpec("x"), InputSpec("b")], gradient: "dx = g; db = Σ g", summary: "x + b")
    init() {}
    func outputShapes(_ s: [[Int]]) throws(OpError) -> [[Int]] { try Add().outputShapes(s) }
    func forward(_ x: [Tensor]) throws(OpError) -> [Tensor] { try Add().forward(x) }
    func vjp(_ c: VJPContext) -> [Tensor?] { [c.g, c.g] }
}

final class CustomOpCheckTests: XCTestCase {
    func model(_ op: any Op) throws -> (Graph, Value, Int) {
        let g = Graph()
        let x = g.input("x", Tensor([0.5, -1.2, 2.0]))
        let y = try Value.apply(op, [x])[0]
        let L = sum(tanh(y))
        return (g, L, y.id.node)
    }

    func testCorrectCustomOpPasses() throws {
        let (g, L, _) = try model(Cube())
        let items = try GradCheck.check(g, outputs: [L.id])
        XCTAssertFalse(items.isEmpty)
        XCTAssertTrue(items.allSatisfy(\.passed), "\(items.filter { !$0.passed })")
        XCTAssertTrue(items.contains { $0.subject == .input(ValueID(node: 0)) })
    }

    func testWrongBackwardsAreCaughtAtTheirNode() throws {
        for mistake in ["missing factor", "wrong sign"] {
            let (g, L, cube) = try model(Cube(mistake: mistake))
            let items = try GradCheck.check(g, outputs: [L.id])
            let failing = items.filter { !$0.passed }
            XCTAssertTrue(failing.contains { $0.subject == .input(ValueID(node: 0)) }, mistake)
            XCTAssertEqual(Set(failing.compactMap(\.node)), [cube], "\(mistake): only the cube node fails in isolation")
        }
    }

    func testWrongTransposeIsCaught() throws {
        let g = Graph()
        let x = g.input("x", Tensor(shape: [2, 2], data: [1, 2, 3, 4]))
        let W = g.input("W", Tensor(shape: [2, 2], data: [0.5, -1, 0.25, 2]))
        var op = Linear()
        op.wrongTranspose = true
        let y = try Value.apply(op, [x, W])[0]
        let L = sum(square(y))
        let failing = try GradCheck.check(g, outputs: [L.id]).filter { !$0.passed }
        XCTAssertTrue(failing.contains { $0.subject == .op(node: y.id.node, slot: 1) }, "\(failing.map(\.subject))")
        XCTAssertTrue(failing.contains { $0.subject == .input(W.id) })
        XCTAssertFalse(failing.contains { $0.subject == .input(x.id) })
    }

    func testBroadcastGradientNotSummedBackIsCaught() throws {
        let g = Graph()
        let x = g.input("x", Tensor(shape: [2, 3], data: [1, 2, 3, 4, 5, 6]))
        let b = g.input("b", Tensor([0.1, 0.2, 0.3]))
        let y = try Value.apply(BiasAdd(), [x, b])[0]
        let L = sum(square(y))
        // The backward pass itself refuses a gradient of the wrong shape, naming the op...
        XCTAssertThrowsError(try g.backward(L)) { XCTAssertTrue("\($0)".contains("bias_add"), "\($0)") }
        // ...and the op checked alone is reported at its node.
        let results = try? GradCheck.check(BiasAdd(), inputs: [x.tensor, b.tensor])
        XCTAssertNil(results)
    }

    func testKinksAreReportedNotFailed() throws {
        let g = Graph()
        let x = g.input("x", Tensor([-1, 0, 2]))
        let L = sum(relu(x) * 3.0)
        let items = try GradCheck.check(g, outputs: [L.id])
        XCTAssertTrue(items.allSatisfy(\.passed))
        XCTAssertEqual(items.first { $0.subject == .input(x.id) }?.result.kinks, [1])
    }
}
