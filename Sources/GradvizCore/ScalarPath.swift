/// The built-in elementwise ops on one-element values, computed without arrays of tensors:
/// most nodes of a scalar graph are such, and the general path (`forward` and `vjp` on
/// `[Tensor]`) allocates several arrays per node. An internal detail of the engine (`Graph`,
/// `backward`): its `Kernel` calls the same per-element formulas the general path does
/// (`value`, `downstream`), so it gives the same bits (ScalarPathTests checks every op).
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
}
