import GradvizCore
import GradvizModel

// `tensor`: the compute of a tensor model in process, as bench/tensor/torch_model.py times
// PyTorch's: the model is loaded once (inputs made), then each repetition runs the forward
// pass (every op node's forward on the values it reads, results kept until the pass ends)
// and the backward pass (Model.backward: every value's and every edge's gradient).

struct TensorBenchResult {
    var path = ""
    var ops = 0
    var forward: [Double] = []
    var backward: [Double] = []
    var peakRSS = 0
}

func benchTensor(_ path: String, reps: Int, log: (String) -> Void) throws -> TensorBenchResult {
    var r = TensorBenchResult()
    r.path = path
    let model = try ModelLoader(file: path).load(try readFile(path))
    let g = model.graph
    r.ops = g.nodes.filter { $0.op != nil }.count
    for rep in 0..<reps {
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
        let (grads, tBackward) = try timed { try model.backward() }
        _ = grads
        r.forward.append(tForward)
        r.backward.append(tBackward)
        log("tensor \(path) run \(rep + 1)/\(reps): forward \(tForward) s, backward \(tBackward) s")
    }
    r.peakRSS = Memory.rss()?.peak ?? 0
    return r
}
