import GradvizCore

// `mlp`: a two-layer perceptron on tensors, x [B, in] → hidden → classes, with
// cross-entropy, timed per iteration (a new graph each time, as a training loop
// that rebuilds its graph does).

struct MLPConfig {
    var batch = 64, input = 784, hidden = 256, classes = 10
    var activation = "relu"
    var iterations = 20
    var seed: UInt64 = 1

    var description: String { "batch \(batch), \(input)→\(hidden)→\(classes), \(activation), cross_entropy" }

    /// Multiply-adds ×2 of the forward matmuls.
    var forwardFlops: Double { 2 * Double(batch) * Double(input * hidden + hidden * classes) }
    /// Backward matmuls: dW1 = Xᵀ·dh, dh = dlogits·W2ᵀ, dW2 = hᵀ·dlogits (X needs no gradient).
    var backwardFlops: Double { 2 * Double(batch) * Double(input * hidden + 2 * hidden * classes) }
}

struct MLPResult {
    var config: MLPConfig
    var nodes = 0
    var forward = 0.0, backward = 0.0
    var forwardMin = 0.0, backwardMin = 0.0
    var loss = 0.0
    var peakRSS = 0
    var ratio: Double { backward / forward }
}

func benchMLP(_ c: MLPConfig, log: (String) -> Void) throws -> MLPResult {
    var rng = SplitMix64(seed: c.seed)
    func uniform(_ shape: [Int], _ scale: Double) -> Tensor {
        let n = shape.reduce(1, *)
        return Tensor(shape: shape, data: (0..<n).map { _ in (rng.unit() * 2 - 1) * scale })
    }
    let x = uniform([c.batch, c.input], 1)
    let labels = Tensor(shape: [c.batch], data: (0..<c.batch).map { _ in Double(rng.below(c.classes)) })
    let w1 = uniform([c.input, c.hidden], 1 / Double(c.input).squareRoot())
    let b1 = uniform([c.hidden], 0.1)
    let w2 = uniform([c.hidden, c.classes], 1 / Double(c.hidden).squareRoot())
    let b2 = uniform([c.classes], 0.1)

    let matmul = try OpRegistry.make("matmul"), add = try OpRegistry.make("add")
    let act = try OpRegistry.make(c.activation)
    let loss = try OpRegistry.make("cross_entropy")

    Memory.resetPeak()
    var fw: [Double] = [], bw: [Double] = []
    var result = MLPResult(config: c)
    for iteration in -2..<c.iterations {  // two warm-up iterations
        let t0 = nowNanoseconds()
        let g = Graph()
        let X = g.addInput("X", x, requiresGradient: false)
        let Y = g.addInput("y", labels, requiresGradient: false)
        let W1 = g.addInput("W1", w1), B1 = g.addInput("b1", b1)
        let W2 = g.addInput("W2", w2), B2 = g.addInput("b2", b2)
        let z1 = try g.apply(matmul, [X, W1])[0]
        let h = try g.apply(act, [try g.apply(add, [z1, B1])[0]])[0]
        let z2 = try g.apply(matmul, [h, W2])[0]
        let logits = try g.apply(add, [z2, B2])[0]
        let L = try g.apply(loss, [logits, Y])[0]
        let t1 = nowNanoseconds()
        let grads = try g.backward(L)
        let t2 = nowNanoseconds()
        guard let gw1 = grads[W1], gw1.shape == w1.shape, gw1.isFinite, grads[X] == nil else {
            throw BenchError("mlp: bad gradient for W1")
        }
        if iteration >= 0 {
            fw.append(Double(t1 - t0) / 1e9)
            bw.append(Double(t2 - t1) / 1e9)
        }
        result.loss = g.value(L).scalar
        result.nodes = g.nodes.count
    }
    result.forward = median(fw)
    result.backward = median(bw)
    result.forwardMin = fw.min()!
    result.backwardMin = bw.min()!
    result.peakRSS = Memory.rss()?.peak ?? 0
    log("mlp \(c.activation): forward \(formatSeconds(result.forward)), backward \(formatSeconds(result.backward)) (median of \(c.iterations))")
    return result
}

func mlpTable(_ results: [MLPResult]) -> String {
    var t = Table(["model", "nodes", "forward", "backward", "bwd/fwd", "fwd GFLOP/s", "bwd GFLOP/s", "loss", "peak RSS", "iters"])
    for r in results {
        t.add([r.config.description, String(r.nodes), formatSeconds(r.forward), formatSeconds(r.backward), fixed(r.ratio, 2),
               fixed(r.config.forwardFlops / r.forward / 1e9, 2), fixed(r.config.backwardFlops / r.backward / 1e9, 2),
               fixed(r.loss, 4), formatBytes(r.peakRSS), String(r.config.iterations)])
    }
    return "MLP on tensors (medians; forward = graph construction + forward)\n" + t.render()
}
