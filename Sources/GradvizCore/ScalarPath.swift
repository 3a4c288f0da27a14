/// The built-in elementwise ops on one-element values, computed without arrays of tensors:
/// most nodes of a scalar graph are such, and the general path (`forward` and `vjp` on
/// `[Tensor]`) allocates several arrays per node. An internal detail of the engine (`Graph`,
/// `backward`): it calls the same per-element formulas the general path does (`value`,
/// `downstream`), so it gives the same bits (ScalarPathTests checks every op).
enum ScalarPath {
    /// `op(x)` when `op` is a unary elementwise op, else nil.
    static func value(_ op: any Op, _ x: Double) -> Double? {
        (op as? any UnaryElementwise)?.value(x)
    }

    /// `op(a, b)` when `op` is a binary elementwise op, else nil.
    static func value(_ op: any Op, _ a: Double, _ b: Double) -> Double? {
        (op as? any BinaryElementwise)?.value(a, b)
    }

    /// The downstream gradient of a unary elementwise op at x (y = op(x), g upstream).
    static func downstream(_ op: any Op, _ g: Double, _ x: Double, _ y: Double) -> Double? {
        (op as? any UnaryElementwise)?.downstream(g, x, y)
    }

    /// The downstream gradients of a binary elementwise op at (a, b).
    static func downstream(_ op: any Op, _ g: Double, _ a: Double, _ b: Double, _ y: Double) -> (Double, Double)? {
        guard let e = op as? any BinaryElementwise else { return nil }
        return (e.downstreamA(g, a, b, y), e.downstreamB(g, a, b, y))
    }
}
