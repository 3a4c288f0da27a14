import GradvizCore

/// How much memory and work computing a model takes, estimated from its plan before
/// anything is computed, and the limits a load refuses past (issue 13 item 7): a valid
/// model may still be too large for the machine, and an allocation that fails aborts the
/// process, so it must not be attempted.
public struct Limits: Sendable {
    /// Bytes of values, gradients and edge gradients, plus bookkeeping per node.
    public var maxMemory: Double
    /// Floating-point operations of the forward and the backward pass.
    public var maxFlops: Double

    /// 8 GB and 10^12 FLOPs: every sample, reference and benchmark model passes with room to
    /// spare (estimated: bench/tensor's ResNet-18 on one 224x224 image 0.49 GB and 1.1e10,
    /// its 3000x3000 matmul 0.65 GB and 1.6e11, the 100,000-op scalar DAG 76 MB), while a
    /// model that would need a third of a 24 GiB machine, or minutes of work, is refused
    /// before it starts.
    public static let `default` = Limits(maxMemory: 8e9, maxFlops: 1e12)
    /// No limit.
    public static let none = Limits(maxMemory: .infinity, maxFlops: .infinity)

    public init(maxMemory: Double, maxFlops: Double) {
        self.maxMemory = maxMemory
        self.maxFlops = maxFlops
    }
}

/// The estimate of one plan.
struct Cost {
    var bytes = 0.0
    var flops = 0.0

    /// Bytes a graph node costs besides its tensors (node record, names, gradient slots):
    /// about 600 measured on scalar graphs (bench/README.md).
    static let bytesPerNode = 600.0

    /// Every value kept, a gradient as large for each (the upper bound: every value on a
    /// path), and the gradient sent along every edge (the size of the value it reads).
    /// Work: 2·k multiply-adds per output element of matmul (k the inner size) and conv2d
    /// (k = C·kh·kw), one operation per element of every input and output otherwise; the
    /// backward pass counted as twice the forward.
    init(_ plan: Plan) {
        let nodes = plan.nodes
        func shape(_ r: PlanRef) -> [Int] { nodes[r.node].shapes[r.output] }
        for n in nodes.indices {   // (by index: a copy of each node would retain its arrays)
            bytes += Cost.bytesPerNode
            var out = 0.0
            for s in nodes[n].shapes { out += Double(Tensor.count(of: s)) }
            bytes += 16 * out
            guard case .op(let op) = nodes[n].kind else { continue }
            let inputs = nodes[n].inputs
            var reads = 0.0
            for r in inputs { reads += Double(Tensor.count(of: shape(r))) }
            bytes += 8 * reads
            let forward: Double
            // (Comparing the type, not `op is Matmul`: no dynamic cast per node.)
            let type = type(of: op)
            if type == Matmul.self {
                forward = 2 * out * Double(shape(inputs[0]).last ?? 1)
            } else if type == Conv2d.self {
                forward = 2 * out * Double(shape(inputs[1]).dropFirst().reduce(1, *))
            } else {
                forward = out + reads
            }
            flops += 3 * forward
        }
    }
}

extension Plan {
    /// Refuses a plan whose estimate passes `limits`, with the estimate and the option that
    /// raises the limit.
    func check(_ limits: Limits) throws {
        let cost = Cost(self)
        if cost.bytes > limits.maxMemory {
            throw ModelError(file: file, position: nil, message: "computing this model needs about \(bytesText(cost.bytes)) of memory (every value, gradient and edge gradient kept), more than the limit of \(bytesText(limits.maxMemory)); --max-memory raises it (e.g. --max-memory \(roundedUp(cost.bytes / 1e9))GB)")
        }
        if cost.flops > limits.maxFlops {
            throw ModelError(file: file, position: nil, message: "computing this model takes about \(flopsText(cost.flops)) floating-point operations (forward and backward), more than the limit of \(flopsText(limits.maxFlops)); --max-flops raises it (e.g. --max-flops \(flopsText(roundedUpFlops(cost.flops))))")
        }
    }
}

func bytesText(_ b: Double) -> String {
    if b >= 1e9 { return "\(oneDecimal(b / 1e9)) GB" }
    if b >= 1e6 { return "\(oneDecimal(b / 1e6)) MB" }
    return "\(oneDecimal(b / 1e3)) kB"
}

func flopsText(_ f: Double) -> String {
    guard f.isFinite, f >= 1 else { return formatNumber(f) }
    var e = 0, m = f
    while m >= 10 { m /= 10; e += 1 }
    return "\(oneDecimal(m))e\(e)"
}

private func oneDecimal(_ x: Double) -> String {
    let tenths = (x * 10).rounded()
    return tenths.truncatingRemainder(dividingBy: 10) == 0 ? "\(Int(tenths / 10))" : "\(Int(tenths) / 10).\(Int(tenths) % 10)"
}

private func roundedUp(_ x: Double) -> Int { Int(x.rounded(.up)) }

private func roundedUpFlops(_ f: Double) -> Double {
    var e = 0.0, m = f
    while m >= 10 { m /= 10; e += 1 }
    return m.rounded(.up) * pow10(e)
}

private func pow10(_ e: Double) -> Double {
    var p = 1.0
    for _ in 0..<Int(e) { p *= 10 }
    return p
}

/// "8GB", "512MB", "2.5GiB", "1e9": a number of bytes for --max-memory.
public func parseByteCount(_ text: String) -> Double? {
    let units: [(String, Double)] = [("KiB", 1024), ("MiB", Double(1 << 20)), ("GiB", Double(1 << 30)), ("TiB", Double(1 << 40)),
                                     ("kB", 1e3), ("KB", 1e3), ("MB", 1e6), ("GB", 1e9), ("TB", 1e12), ("B", 1)]
    for (suffix, scale) in units where text.hasSuffix(suffix) {
        guard let x = Double(text.dropLast(suffix.count)), x.isFinite, x > 0 else { return nil }
        return x * scale
    }
    guard let x = Double(text), x.isFinite, x > 0 else { return nil }
    return x
}
