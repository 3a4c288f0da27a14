#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import GradvizCore
import GradvizModel

// `tensor`: the compute of a tensor model in process, as bench/tensor/torch_model.py times
// PyTorch's: the model is loaded once (inputs made), then each repetition runs the forward
// pass (every op node's forward on the values it reads, results kept until the pass ends)
// and the backward pass (Model.backward: every value's and every edge's gradient).
// `--per-op` also times each op node alone: its forward, and its vjp on the upstream
// gradient a backward pass gave it (what is left of the backward is the summing of
// gradients at fan-out and the bookkeeping), to find where the time goes.

struct TensorBenchResult {
    var path = ""
    var ops = 0
    var forward: [Double] = []
    var backward: [Double] = []
    /// CPU seconds of all threads, per pass (wall is disturbed more when the machine is shared).
    var forwardCPU: [Double] = []
    var backwardCPU: [Double] = []
    var peakRSS = 0
    /// With --per-op: one row per op node, medians over the repetitions.
    var perOp: [OpTiming] = []
}

/// One op node's forward and vjp alone, wall and CPU (all threads) seconds, medians.
struct OpTiming {
    var name = "", op = "", shape: [Int] = []
    var forward = 0.0, forwardCPU = 0.0, vjp = 0.0, vjpCPU = 0.0
}

func benchTensor(_ path: String, reps: Int, perOp: Bool, log: (String) -> Void) throws -> TensorBenchResult {
    var r = TensorBenchResult()
    r.path = path
    let model = try ModelLoader(file: path).load(try readFile(path))
    let g = model.graph
    r.ops = g.nodes.filter { $0.op != nil }.count
    for rep in 0..<reps {
        let c0 = cpuSeconds()
        let (outputs, tForward) = try timed { () throws -> [[Tensor]] in
            var outputs: [[Tensor]] = []
            outputs.reserveCapacity(g.nodes.count)
            for node in g.nodes {
                guard let op = node.op else { continue }
                outputs.append(try op.forward(node.inputs.map(g.value)))
            }
            return outputs
        }
        _ = outputs.count
        let c1 = cpuSeconds()
        let (grads, tBackward) = try timed { try model.backward() }
        _ = grads
        r.forwardCPU.append(c1 - c0)
        r.backwardCPU.append(cpuSeconds() - c1)
        r.forward.append(tForward)
        r.backward.append(tBackward)
        log("tensor \(path) run \(rep + 1)/\(reps): forward \(tForward) s, backward \(tBackward) s")
    }
    if perOp { r.perOp = try timeEachOp(model, reps: reps) }
    r.peakRSS = Memory.rss()?.peak ?? 0
    return r
}

private func timeEachOp(_ model: Model, reps: Int) throws -> [OpTiming] {
    let g = model.graph
    let grads = try model.backward()
    /// Medians of the wall and CPU seconds of `reps` runs of `body`.
    func measure(_ body: () throws -> Void) rethrows -> (Double, Double) {
        var wall: [Double] = [], cpu: [Double] = []
        for _ in 0..<reps {
            let c0 = cpuSeconds()
            wall.append(try timed(body).1)
            cpu.append(cpuSeconds() - c0)
        }
        return (median(wall), median(cpu))
    }
    var rows: [OpTiming] = []
    for (n, node) in g.nodes.enumerated() {
        guard let op = node.op else { continue }
        let inputs = node.inputs.map(g.value)
        var row = OpTiming(name: node.names.first { !$0.isEmpty } ?? "%\(n)", op: op.name, shape: node.values[0].shape)
        (row.forward, row.forwardCPU) = try measure { _ = try op.forward(inputs) }
        let upstream = node.values.indices.map { grads[ValueID(node: n, output: $0)] }
        if upstream.contains(where: { $0 != nil }) {
            let needs = node.inputs.indices.map { node.isDifferentiable(slot: $0) && grads[node.inputs[$0]] != nil }
            let c = VJPContext(inputs: inputs, outputs: node.values,
                               upstream: upstream.enumerated().map { $1 ?? Tensor.zeros(node.values[$0].shape) }, needsGradient: needs)
            (row.vjp, row.vjpCPU) = measure { _ = op.vjp(c) }
        }
        rows.append(row)
    }
    return rows
}

/// CPU time of the whole process (every thread), in seconds.
func cpuSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}
