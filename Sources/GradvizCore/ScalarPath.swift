/// The built-in elementwise ops on one-element values, computed without arrays of tensors:
/// most nodes of a scalar graph are such, and the general path (`forward` and `vjp` on
/// `[Tensor]`) allocates several arrays per node. An internal detail of the engine (`Graph`,
/// `backward`): it calls the same per-element formulas the general path does (`value`,
/// `downstream`), so it gives the same bits (ScalarPathTests checks every op).
enum ScalarPath {
    /// A built-in elementwise op, found once per node: the cast from `any Op` costs more
    /// than the arithmetic, so `Graph.record` keeps it on the node for the backward pass.
    enum Kernel {
        case unary(any UnaryElementwise)
        case binary(any BinaryElementwise)

        /// `op` as an elementwise op of `arity` inputs, or nil.
        init?(_ op: any Op, arity: Int) {
            if arity == 1, let e = op as? any UnaryElementwise { self = .unary(e) }
            else if arity == 2, let e = op as? any BinaryElementwise { self = .binary(e) }
            else { return nil }
        }

        /// The value at a (and b, for a binary op).
        func value(_ a: Double, _ b: Double) -> Double {
            switch self {
            case .unary(let e): return e.value(a)
            case .binary(let e): return e.value(a, b)
            }
        }

        /// The downstream gradients at a (and b) for upstream g and value y (0 for a
        /// unary op's missing second input).
        func downstream(_ g: Double, _ a: Double, _ b: Double, _ y: Double) -> (Double, Double) {
            switch self {
            case .unary(let e): return (e.downstream(g, a, y), 0)
            case .binary(let e): return (e.downstreamA(g, a, b, y), e.downstreamB(g, a, b, y))
            }
        }
    }

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
