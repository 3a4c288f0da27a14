import Foundation

// Elementwise ops: each states its value and its local derivative per element; the two
// protocols below turn that into forward, broadcasting and the vector-Jacobian product.

/// A unary elementwise op: y = f(x), dx = g * f'(x).
public protocol UnaryElementwise: Op {
    func value(_ x: Double) -> Double
    /// df/dx at x, where y = f(x) is given because many derivatives are cheaper from it.
    func derivative(_ x: Double, _ y: Double) -> Double
    /// The downstream gradient of one element: g * f'(x), unless PyTorch computes it
    /// otherwise (relu selects: 0 where y ≤ 0 even when g is infinite or NaN).
    func downstream(_ g: Double, _ x: Double, _ y: Double) -> Double
}

/// An op without attributes.
public protocol NoAttributes: Op {
    init()
}

extension NoAttributes {
    public init(_ attributes: Attributes) throws(OpError) { self.init() }
    public var attributes: Attributes { Attributes(defaultsFor: Self.info) }
}

extension UnaryElementwise {
    public func downstream(_ g: Double, _ x: Double, _ y: Double) -> Double { g * derivative(x, y) }
    public func outputShapes(_ inputs: [[Int]]) throws(OpError) -> [[Int]] { [inputs[0]] }
    public func forward(_ inputs: [Tensor]) throws(OpError) -> [Tensor] {
        [Tensor(shape: inputs[0].shape, data: elementwise(inputs[0], y: nil, g: nil))]
    }
    public func vjp(_ c: VJPContext) -> [Tensor?] {
        guard c.needs(0) else { return [nil] }
        return [Tensor(shape: c[0].shape, data: elementwise(c[0], y: c.y, g: c.g))]
    }

    /// f(x) for every element, or with y and g the downstream gradient; in chunks on the
    /// cores, each element computed alone. (The loop calls the op's own functions: a
    /// closure handed to `Tensor.map` would be called per element, not inlined.)
    func elementwise(_ x: Tensor, y: Tensor?, g: Tensor?) -> [Double] {
        [Double](writing: x.count) { out in
            x.data.withUnsafeBufferPointer { X in
                (y?.data ?? []).withUnsafeBufferPointer { Y in
                    (g?.data ?? []).withUnsafeBufferPointer { G in
                        let isForward = g == nil
                        Parallel.forEach(X.count) { range in
                            if isForward { for i in range { out[i] = value(X[i]) } }
                            else { for i in range { out[i] = downstream(G[i], X[i], Y[i]) } }
                        }
                    }
                }
            }
        }
    }
}

/// A binary elementwise op with broadcasting: y = f(a, b); each input's gradient is
/// g * ∂f/∂input, summed back over the dimensions that input was broadcast along.
public protocol BinaryElementwise: NoAttributes {
    func value(_ a: Double, _ b: Double) -> Double
    func da(_ a: Double, _ b: Double, _ y: Double) -> Double
    func db(_ a: Double, _ b: Double, _ y: Double) -> Double
    /// The downstream gradients of one element: g * ∂f/∂a and g * ∂f/∂b, unless PyTorch
    /// computes them otherwise (maximum selects: 0 for the smaller input even when g is
    /// infinite or NaN).
    func downstreamA(_ g: Double, _ a: Double, _ b: Double, _ y: Double) -> Double
    func downstreamB(_ g: Double, _ a: Double, _ b: Double, _ y: Double) -> Double
}

extension BinaryElementwise {
    public func downstreamA(_ g: Double, _ a: Double, _ b: Double, _ y: Double) -> Double { g * da(a, b, y) }
    public func downstreamB(_ g: Double, _ a: Double, _ b: Double, _ y: Double) -> Double { g * db(a, b, y) }
    public func outputShapes(_ s: [[Int]]) throws(OpError) -> [[Int]] {
        guard let out = broadcastShapes(s[0], s[1]) else {
            throw OpError("\(name): shapes \(shapeText(s[0])) and \(shapeText(s[1])) do not broadcast")
        }
        return [out]
    }
    public func forward(_ inputs: [Tensor]) throws(OpError) -> [Tensor] {
        let shape = try outputShapes([inputs[0].shape, inputs[1].shape])[0]
        return [Tensor(shape: shape, data: elementwise(.value, inputs[0], inputs[1], g: Tensor(0), y: Tensor(0), shape))]
    }

    /// Each input's term g * ∂f/∂input for every element of the output, then, for an input
    /// that was broadcast, the terms summed back to its shape (from 0, as PyTorch's sum). An
    /// input that is not broadcast takes its terms as they are.
    public func vjp(_ c: VJPContext) -> [Tensor?] {
        let shape = c.y.shape
        func gradient(_ pass: BinaryPass, _ input: Tensor) -> Tensor {
            let terms = Tensor(shape: shape, data: elementwise(pass, c[0], c[1], g: c.g, y: c.y, shape))
            return input.count == terms.count ? terms.reshaped(input.shape) : terms.sum(toShape: input.shape)
        }
        return [c.needs(0) ? gradient(.termA, c[0]) : nil, c.needs(1) ? gradient(.termB, c[1]) : nil]
    }

    /// One pass over every element i of the broadcast shape `shape`: f(a, b), or the term
    /// of a or of b from g[i] and y[i] (which `.value` does not read). Rows in chunks on the
    /// cores, each element computed alone. (The loop calls the op's own functions: a closure
    /// handed to `Tensor.zip` would be called per element, not inlined.)
    func elementwise(_ pass: BinaryPass, _ a: Tensor, _ b: Tensor, g: Tensor, y: Tensor, _ shape: [Int]) -> [Double] {
        let sa = broadcastStrides(a.shape, to: shape), sb = broadcastStrides(b.shape, to: shape)
        return [Double](writing: Tensor.count(of: shape)) { out in
            a.data.withUnsafeBufferPointer { X in
                b.data.withUnsafeBufferPointer { Z in
                    g.data.withUnsafeBufferPointer { G in
                        y.data.withUnsafeBufferPointer { Y in
                            forEachRowChunk(shape) { rows in
                                forEachOffset(shape, sa, sb, rows: rows) { i, oa, ob in
                                    switch pass {
                                    case .value: out[i] = value(X[oa], Z[ob])
                                    case .termA: out[i] = downstreamA(G[i], X[oa], Z[ob], Y[i])
                                    case .termB: out[i] = downstreamB(G[i], X[oa], Z[ob], Y[i])
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// What `BinaryElementwise.elementwise` computes per element.
enum BinaryPass { case value, termA, termB }

private let ab = [InputSpec("a"), InputSpec("b")]
private let x1 = [InputSpec("x")]

public struct Add: BinaryElementwise {
    public static let info = OpInfo(name: "add", symbol: "+", inputs: ab,
        gradient: "da = g;  db = g", summary: "a + b, broadcasting")
    public init() {}
    public func value(_ a: Double, _ b: Double) -> Double { a + b }
    public func da(_ a: Double, _ b: Double, _ y: Double) -> Double { 1 }
    public func db(_ a: Double, _ b: Double, _ y: Double) -> Double { 1 }
}

public struct Sub: BinaryElementwise {
    public static let info = OpInfo(name: "sub", symbol: "−", inputs: ab,
        gradient: "da = g;  db = -g", summary: "a - b, broadcasting")
    public init() {}
    public func value(_ a: Double, _ b: Double) -> Double { a - b }
    public func da(_ a: Double, _ b: Double, _ y: Double) -> Double { 1 }
    public func db(_ a: Double, _ b: Double, _ y: Double) -> Double { -1 }
}

public struct Mul: BinaryElementwise {
    public static let info = OpInfo(name: "mul", symbol: "×", inputs: ab,
        gradient: "da = g * b;  db = g * a", summary: "a * b, broadcasting")
    public init() {}
    public func value(_ a: Double, _ b: Double) -> Double { a * b }
    public func da(_ a: Double, _ b: Double, _ y: Double) -> Double { b }
    public func db(_ a: Double, _ b: Double, _ y: Double) -> Double { a }
}

public struct Div: BinaryElementwise {
    public static let info = OpInfo(name: "div", symbol: "÷", inputs: ab,
        gradient: "da = g / b;  db = -g * a / b²", summary: "a / b, broadcasting")
    public init() {}
    public func value(_ a: Double, _ b: Double) -> Double { a / b }
    public func da(_ a: Double, _ b: Double, _ y: Double) -> Double { 1 / b }
    public func db(_ a: Double, _ b: Double, _ y: Double) -> Double { -a / (b * b) }
    // As PyTorch: g / b, not g * (1/b), which is infinite for a subnormal b.
    public func downstreamA(_ g: Double, _ a: Double, _ b: Double, _ y: Double) -> Double { g / b }
    public func downstreamB(_ g: Double, _ a: Double, _ b: Double, _ y: Double) -> Double { -g * ((a / b) / b) }
}

public struct Pow: BinaryElementwise {
    public static let info = OpInfo(name: "pow", symbol: "^", inputs: ab,
        gradient: "da = g * b * a^(b-1)  (0 where b = 0);  db = g * y * log(a)  (0 where a = 0 and b ≥ 0)",
        summary: "a ^ b, broadcasting")
    public init() {}
    public func value(_ a: Double, _ b: Double) -> Double {
        // Integer exponents of negative bases are real; Foundation.pow handles them.
        Foundation.pow(a, b)
    }
    // As PyTorch: the masked cases keep 0 ^ 0 and friends from producing NaN gradients.
    public func da(_ a: Double, _ b: Double, _ y: Double) -> Double { b == 0 ? 0 : b * Foundation.pow(a, b - 1) }
    public func db(_ a: Double, _ b: Double, _ y: Double) -> Double { a == 0 && b >= 0 ? 0 : y * Foundation.log(a) }
    // PyTorch selects 0 where b = 0 (whatever g is) but multiplies g by db's 0.
    public func downstreamA(_ g: Double, _ a: Double, _ b: Double, _ y: Double) -> Double { b == 0 ? 0 : g * da(a, b, y) }
}

public struct Maximum: BinaryElementwise {
    public static let info = OpInfo(name: "maximum", symbol: "maximum", inputs: ab,
        gradient: "da = g * [a > b] + g/2 * [a = b];  db likewise (a NaN sends g to both)",
        summary: "elementwise max; ties split the gradient evenly")
    public init() {}
    public func value(_ a: Double, _ b: Double) -> Double { a.isNaN || b.isNaN ? .nan : Swift.max(a, b) }
    public func da(_ a: Double, _ b: Double, _ y: Double) -> Double { a > b ? 1 : a == b ? 0.5 : 0 }
    public func db(_ a: Double, _ b: Double, _ y: Double) -> Double { b > a ? 1 : a == b ? 0.5 : 0 }
    // As PyTorch: where(a == b, g/2, g), then 0 where the input is the smaller one. It
    // selects, so an infinite or NaN g gives 0 there, and a NaN input passes g to both.
    public func downstreamA(_ g: Double, _ a: Double, _ b: Double, _ y: Double) -> Double { a < b ? 0 : a == b ? g / 2 : g }
    public func downstreamB(_ g: Double, _ a: Double, _ b: Double, _ y: Double) -> Double { a > b ? 0 : a == b ? g / 2 : g }
}

public struct Minimum: BinaryElementwise {
    public static let info = OpInfo(name: "minimum", symbol: "minimum", inputs: ab,
        gradient: "da = g * [a < b] + g/2 * [a = b];  db likewise (a NaN sends g to both)",
        summary: "elementwise min; ties split the gradient evenly")
    public init() {}
    // b on a tie, as PyTorch's vectorized minimum: min(-0, 0) is 0.
    public func value(_ a: Double, _ b: Double) -> Double { a.isNaN || b.isNaN ? .nan : a < b ? a : b }
    public func da(_ a: Double, _ b: Double, _ y: Double) -> Double { a < b ? 1 : a == b ? 0.5 : 0 }
    public func db(_ a: Double, _ b: Double, _ y: Double) -> Double { b < a ? 1 : a == b ? 0.5 : 0 }
    // As maximum's: PyTorch selects.
    public func downstreamA(_ g: Double, _ a: Double, _ b: Double, _ y: Double) -> Double { a > b ? 0 : a == b ? g / 2 : g }
    public func downstreamB(_ g: Double, _ a: Double, _ b: Double, _ y: Double) -> Double { a < b ? 0 : a == b ? g / 2 : g }
}

public struct Neg: UnaryElementwise, NoAttributes {
    public static let info = OpInfo(name: "neg", symbol: "neg", inputs: x1, gradient: "dx = -g", summary: "-x")
    public init() {}
    public func value(_ x: Double) -> Double { -x }
    public func derivative(_ x: Double, _ y: Double) -> Double { -1 }
}

public struct Exp: UnaryElementwise, NoAttributes {
    public static let info = OpInfo(name: "exp", inputs: x1, gradient: "dx = g * y", summary: "e^x")
    public init() {}
    public func value(_ x: Double) -> Double { Foundation.exp(x) }
    public func derivative(_ x: Double, _ y: Double) -> Double { y }
}

public struct Log: UnaryElementwise, NoAttributes {
    public static let info = OpInfo(name: "log", inputs: x1, gradient: "dx = g / x", summary: "natural logarithm")
    public init() {}
    public func value(_ x: Double) -> Double { Foundation.log(x) }
    public func derivative(_ x: Double, _ y: Double) -> Double { 1 / x }
    // As PyTorch: g / x, not g * (1/x), which is infinite for a subnormal x.
    public func downstream(_ g: Double, _ x: Double, _ y: Double) -> Double { g / x }
}

public struct Sqrt: UnaryElementwise, NoAttributes {
    public static let info = OpInfo(name: "sqrt", symbol: "√", inputs: x1, gradient: "dx = g / (2 y)", summary: "square root")
    public init() {}
    public func value(_ x: Double) -> Double { x.squareRoot() }
    public func derivative(_ x: Double, _ y: Double) -> Double { 1 / (2 * y) }
}

public struct Square: UnaryElementwise, NoAttributes {
    public static let info = OpInfo(name: "square", symbol: "x²", inputs: x1, gradient: "dx = g * 2x", summary: "x²")
    public init() {}
    public func value(_ x: Double) -> Double { x * x }
    public func derivative(_ x: Double, _ y: Double) -> Double { 2 * x }
}

public struct Abs: UnaryElementwise, NoAttributes {
    public static let info = OpInfo(name: "abs", symbol: "|x|", inputs: x1, gradient: "dx = g * sign(x)  (0 at x = 0)", summary: "|x|")
    public init() {}
    public func value(_ x: Double) -> Double { Swift.abs(x) }
    public func derivative(_ x: Double, _ y: Double) -> Double { x > 0 ? 1 : x < 0 ? -1 : 0 }
}

public struct Sin: UnaryElementwise, NoAttributes {
    public static let info = OpInfo(name: "sin", inputs: x1, gradient: "dx = g * cos(x)", summary: "sine")
    public init() {}
    public func value(_ x: Double) -> Double { Foundation.sin(x) }
    public func derivative(_ x: Double, _ y: Double) -> Double { Foundation.cos(x) }
}

public struct Cos: UnaryElementwise, NoAttributes {
    public static let info = OpInfo(name: "cos", inputs: x1, gradient: "dx = -g * sin(x)", summary: "cosine")
    public init() {}
    public func value(_ x: Double) -> Double { Foundation.cos(x) }
    public func derivative(_ x: Double, _ y: Double) -> Double { -Foundation.sin(x) }
}

public struct Tanh: UnaryElementwise, NoAttributes {
    public static let info = OpInfo(name: "tanh", inputs: x1, gradient: "dx = g * (1 - y²)", summary: "hyperbolic tangent")
    public init() {}
    public func value(_ x: Double) -> Double { Foundation.tanh(x) }
    public func derivative(_ x: Double, _ y: Double) -> Double { 1 - y * y }
}

public struct Sigmoid: UnaryElementwise, NoAttributes {
    public static let info = OpInfo(name: "sigmoid", symbol: "σ", inputs: x1, gradient: "dx = g * y (1 - y)", summary: "1 / (1 + e^-x)")
    public init() {}
    public func value(_ x: Double) -> Double { sigmoid(x) }
    public func derivative(_ x: Double, _ y: Double) -> Double { y * (1 - y) }
}

/// Logistic function without overflow for large |x|.
@inlinable func sigmoid(_ x: Double) -> Double {
    if x >= 0 { return 1 / (1 + Foundation.exp(-x)) }
    let e = Foundation.exp(x)
    return e / (1 + e)
}

public struct Relu: UnaryElementwise, NoAttributes {
    public static let info = OpInfo(name: "relu", inputs: x1, gradient: "dx = g * [x > 0]  (0 at x = 0; 0 where x ≤ 0 even for an infinite or NaN g)", summary: "max(x, 0)")
    public init() {}
    // NaN and -0 stay themselves, as in PyTorch.
    public func value(_ x: Double) -> Double { x < 0 ? 0 : x }
    public func derivative(_ x: Double, _ y: Double) -> Double { y <= 0 ? 0 : 1 }
    // PyTorch's threshold_backward selects: 0 where y ≤ 0 even when g is infinite or NaN
    // (x = -1, L = relu(x) * sqrt(relu(x)) has dL/dx = 0), g elsewhere (NaN x included).
    public func downstream(_ g: Double, _ x: Double, _ y: Double) -> Double { y <= 0 ? 0 : g }
}

public struct Softplus: UnaryElementwise, NoAttributes {
    public static let info = OpInfo(name: "softplus", inputs: x1, gradient: "dx = g * σ(x)",
        summary: "log(1 + e^x); x itself above 20, as PyTorch")
    public init() {}
    public func value(_ x: Double) -> Double { x > 20 ? x : Foundation.log1p(Foundation.exp(x)) }
    public func derivative(_ x: Double, _ y: Double) -> Double { x > 20 ? 1 : sigmoid(x) }
}

public struct LeakyRelu: UnaryElementwise {
    public static let info = OpInfo(name: "leaky_relu", inputs: x1,
        attributes: [AttrSpec("negative_slope", .double, default: .double(0.01), "slope for x < 0")],
        gradient: "dx = g  (x > 0);  g * negative_slope  (x ≤ 0)", summary: "x for x > 0, negative_slope * x otherwise")
    public let attributes: Attributes
    let slope: Double
    public init(_ attributes: Attributes) throws(OpError) {
        self.attributes = attributes
        slope = attributes.double("negative_slope")
    }
    public func value(_ x: Double) -> Double { x > 0 ? x : x * slope }
    public func derivative(_ x: Double, _ y: Double) -> Double { x > 0 ? 1 : slope }
}

public struct Gelu: UnaryElementwise {
    public static let info = OpInfo(name: "gelu", inputs: x1,
        attributes: [AttrSpec("approximate", .string(["none", "tanh"]), default: .string("none"), "\"tanh\" for the tanh approximation")],
        gradient: "dx = g * (Φ(x) + x φ(x))  (or the derivative of the tanh form)",
        summary: "x Φ(x), as torch.nn.functional.gelu")
    public let attributes: Attributes
    let tanhForm: Bool
    public init(_ attributes: Attributes) throws(OpError) {
        self.attributes = attributes
        tanhForm = attributes.string("approximate") == "tanh"
    }
    static let k = (2 / Double.pi).squareRoot()
    public func value(_ x: Double) -> Double {
        if tanhForm { return 0.5 * x * (1 + Foundation.tanh(Gelu.k * (x + 0.044715 * x * x * x))) }
        return 0.5 * x * (1 + Foundation.erf(x / 2.0.squareRoot()))
    }
    public func derivative(_ x: Double, _ y: Double) -> Double {
        if tanhForm {
            let inner = Gelu.k * (x + 0.044715 * x * x * x)
            let t = Foundation.tanh(inner)
            return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * Gelu.k * (1 + 3 * 0.044715 * x * x)
        }
        // Φ(x) is y / x, within 2 ulp of 0.5 (1 + erf(x / √2)) (y is (0.5 x) times that
        // sum, rounded once): no second erf, the costliest part, except where x is 0,
        // infinite or so small that 0.5 x loses bits.
        let cdf = x.isFinite && Swift.abs(x) > 1e-300 ? y / x : 0.5 * (1 + Foundation.erf(x / 2.0.squareRoot()))
        let pdf = Foundation.exp(-0.5 * x * x) / (2 * Double.pi).squareRoot()
        return cdf + x * pdf
    }
}

public struct Identity: UnaryElementwise, NoAttributes {
    public static let info = OpInfo(name: "identity", symbol: "id", inputs: x1, gradient: "dx = g", summary: "x (to name or label a value)")
    public init() {}
    public func value(_ x: Double) -> Double { x }
    public func derivative(_ x: Double, _ y: Double) -> Double { 1 }
}
