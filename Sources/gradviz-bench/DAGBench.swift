import Foundation
import GradvizCore

// `dag`: random scalar DAGs with fan-out, built through the Graph API, timed forward
// (graph construction + forward, i.e. the Graph.apply calls) and backward.

/// A random scalar DAG, generated before any timing. Values are numbered inputs first,
/// then one per op. Op i reads the value just before it (so every value lies on the path
/// to the output) and, for binary ops, one of the `window` values before that: values
/// are read by up to window + 1 later ops.
struct DAGPlan {
    enum Kind: UInt8, CaseIterable { case add, sub, mul, tanh, sigmoid }

    let inputs: [Double]
    let kinds: [Kind]
    /// Value indices of each op's inputs; `b` is -1 for unary ops.
    let a: [Int32]
    let b: [Int32]
    /// The output computed in plain Doubles, to check the graph's forward.
    let expected: Double

    var ops: Int { kinds.count }
    var edges: Int { kinds.count + b.lazy.filter { $0 >= 0 }.count }

    /// Op mix: 30% add, 10% sub, 30% mul, 15% tanh, 15% sigmoid. A binary op whose result
    /// would leave [-1e3, 1e3] becomes a tanh, so a million ops stay finite.
    static func generate(ops n: Int, inputCount: Int = 4, window: Int = 10, seed: UInt64) -> DAGPlan {
        var rng = SplitMix64(seed: seed)
        var values = (0..<inputCount).map { _ in rng.unit() * 4 - 2 }
        let inputs = values
        values.reserveCapacity(inputCount + n)
        var kinds: [Kind] = [], a: [Int32] = [], b: [Int32] = []
        kinds.reserveCapacity(n); a.reserveCapacity(n); b.reserveCapacity(n)
        for _ in 0..<n {
            let last = values.count - 1
            let other = max(0, last - rng.below(window))
            let u = rng.unit()
            var kind: Kind = u < 0.30 ? .add : u < 0.40 ? .sub : u < 0.70 ? .mul : u < 0.85 ? .tanh : .sigmoid
            // Operand order varies, so fan-out reaches both slots.
            let (x, y) = rng.below(2) == 0 ? (last, other) : (other, last)
            var v: Double
            switch kind {
            case .add: v = values[x] + values[y]
            case .sub: v = values[x] - values[y]
            case .mul: v = values[x] * values[y]
            case .tanh: v = Foundation.tanh(values[last])
            case .sigmoid: v = 1 / (1 + Foundation.exp(-values[last]))
            }
            if !(abs(v) <= 1e3) { kind = .tanh; v = Foundation.tanh(values[last]) }
            kinds.append(kind)
            if kind == .tanh || kind == .sigmoid {
                a.append(Int32(last)); b.append(-1)
            } else {
                a.append(Int32(x)); b.append(Int32(y))
            }
            values.append(v)
        }
        return DAGPlan(inputs: inputs, kinds: kinds, a: a, b: b, expected: values.last!)
    }

    /// (mean, max) number of uses per value.
    func fanOut() -> (mean: Double, max: Int) {
        var uses = [Int](repeating: 0, count: inputs.count + ops)
        for i in 0..<ops {
            uses[Int(a[i])] += 1
            if b[i] >= 0 { uses[Int(b[i])] += 1 }
        }
        let used = uses.filter { $0 > 0 }
        return (Double(used.reduce(0, +)) / Double(used.count), used.max() ?? 0)
    }
}

struct DAGResult {
    var ops = 0, nodes = 0, edges = 0
    var fanOutMean = 0.0, fanOutMax = 0
    var reps = 0
    var forward = 0.0, backward = 0.0, teardown = 0.0
    /// Peak RSS growth over the RSS before building (bytes), and the absolute peak.
    var peakGrowth = 0, peakRSS = 0
    var ratio: Double { backward / forward }
    var nsPerEdgeBackward: Double { backward * 1e9 / Double(edges) }
    var nsPerNodeForward: Double { forward * 1e9 / Double(ops) }
}

enum BuildAPI: String { case graph, value }

/// Builds the plan's graph, runs backward from its last value, and checks the result.
/// Returns (forward s, backward s, teardown s, peak RSS growth, peak RSS).
func runDAGOnce(_ plan: DAGPlan, api: BuildAPI) throws -> (Double, Double, Double, Int, Int) {
    Memory.resetPeak()
    let base = Memory.rss()?.current ?? 0
    var graph: Graph? = nil
    var grads: Gradients? = nil
    var out = ValueID(node: 0)
    var inputIDs: [ValueID] = []

    let t0 = nowNanoseconds()
    switch api {
    case .graph:
        let g = Graph()
        let ops: [any Op] = [Add(), Sub(), Mul(), Tanh(), Sigmoid()]
        var ids: [ValueID] = []
        ids.reserveCapacity(plan.inputs.count + plan.ops)
        for (k, v) in plan.inputs.enumerated() { ids.append(g.addInput("x\(k)", Tensor(v))) }
        for i in 0..<plan.ops {
            let op = ops[Int(plan.kinds[i].rawValue)]
            let b = plan.b[i]
            let inputs = b < 0 ? [ids[Int(plan.a[i])]] : [ids[Int(plan.a[i])], ids[Int(b)]]
            ids.append(try g.apply(op, inputs)[0])
        }
        graph = g
        out = ids.last!
        inputIDs = Array(ids.prefix(plan.inputs.count))
    case .value:
        let g = Graph()
        var vs: [Value] = []
        vs.reserveCapacity(plan.inputs.count + plan.ops)
        for (k, v) in plan.inputs.enumerated() { vs.append(g.input("x\(k)", v)) }
        for i in 0..<plan.ops {
            let x = vs[Int(plan.a[i])]
            let y = plan.b[i] >= 0 ? vs[Int(plan.b[i])] : x
            let v: Value
            switch plan.kinds[i] {
            case .add: v = x + y
            case .sub: v = x - y
            case .mul: v = x * y
            case .tanh: v = tanh(x)
            case .sigmoid: v = sigmoid(x)
            }
            vs.append(v)
        }
        graph = g
        out = vs.last!.id
        inputIDs = vs.prefix(plan.inputs.count).map(\.id)
    }
    let t1 = nowNanoseconds()
    grads = try graph!.backward(out)
    let t2 = nowNanoseconds()
    let memory = Memory.rss()

    // Checks, outside the timed parts.
    let got = graph!.value(out).scalar
    guard abs(got - plan.expected) <= 1e-9 * max(1, abs(plan.expected)) else {
        throw BenchError("dag: forward gave \(got), plain Doubles gave \(plan.expected)")
    }
    guard grads![out]?.scalar == 1 else { throw BenchError("dag: output gradient is not 1") }
    // An input the random window never picked has no gradient; the others need a finite one.
    let inputGrads = inputIDs.compactMap { grads![$0] }
    guard !inputGrads.isEmpty, inputGrads.allSatisfy(\.isFinite) else {
        throw BenchError("dag: inputs have no finite gradient")
    }

    let t3 = nowNanoseconds()
    grads = nil
    graph = nil
    let t4 = nowNanoseconds()
    let peak = memory?.peak ?? 0
    return (Double(t1 - t0) / 1e9, Double(t2 - t1) / 1e9, Double(t4 - t3) / 1e9, max(0, peak - base), peak)
}

func benchDAG(sizes: [Int], reps fixedReps: Int?, seed: UInt64, api: BuildAPI, log: (String) -> Void) throws -> [DAGResult] {
    var results: [DAGResult] = []
    for n in sizes {
        let plan = DAGPlan.generate(ops: n, seed: seed &+ UInt64(n))
        let reps = fixedReps ?? (n <= 1_000 ? 21 : n <= 10_000 ? 11 : n <= 100_000 ? 5 : 3)
        // One untimed warm-up for small graphs (page faults, lazy initialisation).
        if n <= 100_000 { _ = try runDAGOnce(plan, api: api) }
        var fw: [Double] = [], bw: [Double] = [], td: [Double] = []
        var r = DAGResult()
        for _ in 0..<reps {
            let (f, b, t, growth, peak) = try runDAGOnce(plan, api: api)
            fw.append(f); bw.append(b); td.append(t)
            r.peakGrowth = max(r.peakGrowth, growth)
            r.peakRSS = max(r.peakRSS, peak)
        }
        let fan = plan.fanOut()
        r.ops = n
        r.nodes = n + plan.inputs.count
        r.edges = plan.edges
        r.fanOutMean = fan.mean
        r.fanOutMax = fan.max
        r.reps = reps
        r.forward = median(fw)
        r.backward = median(bw)
        r.teardown = median(td)
        results.append(r)
        log("dag n=\(n): forward \(formatSeconds(r.forward)), backward \(formatSeconds(r.backward)) (median of \(reps))")
    }
    return results
}

func dagTable(_ results: [DAGResult], api: BuildAPI) -> String {
    var t = Table(["ops", "nodes", "edges", "fan-out mean/max", "forward", "backward", "bwd/fwd",
                   "ns/node fwd", "ns/edge bwd", "teardown", "peak RSS", "bytes/node", "reps"])
    for r in results {
        t.add([String(r.ops), String(r.nodes), String(r.edges), "\(fixed(r.fanOutMean, 2))/\(r.fanOutMax)",
               formatSeconds(r.forward), formatSeconds(r.backward), fixed(r.ratio, 2),
               fixed(r.nsPerNodeForward, 0), fixed(r.nsPerEdgeBackward, 0), formatSeconds(r.teardown),
               formatBytes(r.peakRSS), String(r.peakGrowth / r.nodes), String(r.reps)])
    }
    return "Scalar DAG (\(api == .graph ? "Graph.apply with pre-made ops" : "Value operators"); forward = construction + forward)\n" + t.render()
}
