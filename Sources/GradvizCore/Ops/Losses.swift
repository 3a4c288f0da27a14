import Foundation

// Loss functions, as torch.nn.functional in float64.

private let reductionAttribute = AttrSpec("reduction", .string(["mean", "sum", "none"]), default: .string("mean"))

/// Applies a reduction to per-element losses and gives the per-element upstream gradient.
struct LossReduction {
    let mode: String
    init(_ attributes: Attributes) { mode = attributes.string("reduction") }

    func shape(_ elementShape: [Int]) -> [Int] { mode == "none" ? elementShape : [] }

    func reduce(_ losses: Tensor, count: Int) -> Tensor {
        switch mode {
        case "none": return losses
        case "sum": return Tensor(losses.sum())
        default: return Tensor(losses.sum() / Double(count))
        }
    }

    /// d(reduced)/d(loss_i) times the upstream gradient, for every element.
    func upstream(_ g: Tensor, shape: [Int], count: Int) -> Tensor {
        switch mode {
        case "none": return g
        case "sum": return Tensor.full(shape, g.scalar)
        default: return Tensor.full(shape, g.scalar / Double(count))
        }
    }
}

public struct MSELoss: Op {
    public static let info = OpInfo(name: "mse_loss", symbol: "MSE", inputs: [InputSpec("pred"), InputSpec("target")],
        attributes: [reductionAttribute],
        gradient: "dpred = g * 2 (pred - target) / n  (n for mean);  dtarget = -dpred",
        summary: "(pred - target)², reduced; inputs broadcast")
    public let attributes: Attributes
    public init(_ attributes: Attributes) throws(OpError) { self.attributes = attributes }
    public func outputShapes(_ s: [[Int]]) throws(OpError) -> [[Int]] {
        guard let b = broadcastShapes(s[0], s[1]) else {
            throw OpError("mse_loss: pred \(shapeText(s[0])) and target \(shapeText(s[1])) do not broadcast")
        }
        return [LossReduction(attributes).shape(b)]
    }
    public func forward(_ x: [Tensor]) throws(OpError) -> [Tensor] {
        let d = Tensor.zip(x[0], x[1]) { ($0 - $1) * ($0 - $1) }
        return [LossReduction(attributes).reduce(d, count: d.count)]
    }
    public func vjp(_ c: VJPContext) -> [Tensor?] {
        let diff = c[0] - c[1]
        let up = LossReduction(attributes).upstream(c.g, shape: diff.shape, count: diff.count)
        let d = Tensor.zip(diff, up) { 2 * $0 * $1 }
        return [c.needs(0) ? d.sum(toShape: c[0].shape) : nil, c.needs(1) ? (-d).sum(toShape: c[1].shape) : nil]
    }
}

public struct CrossEntropy: Op {
    public static let info = OpInfo(name: "cross_entropy", symbol: "CE",
        inputs: [InputSpec("logits"), InputSpec("target", differentiable: false)],
        attributes: [reductionAttribute,
                     AttrSpec("ignore_index", .int, default: .int(-100), "targets equal to it add no loss")],
        gradient: "dlogits = g * (softmax(logits) - onehot(target)) / n  (n counted targets for mean)",
        summary: "-log softmax(logits)[target]; logits [N, C, ...] (or [C]), target [N, ...] class indices")
    public let attributes: Attributes
    public init(_ attributes: Attributes) throws(OpError) { self.attributes = attributes }

    /// Class axis 1 for [N, C, d...], 0 for unbatched [C].
    func classAxis(_ logits: [Int]) -> Int { logits.count == 1 ? 0 : 1 }

    public func outputShapes(_ s: [[Int]]) throws(OpError) -> [[Int]] {
        let (logits, target) = (s[0], s[1])
        guard !logits.isEmpty else { throw OpError("cross_entropy: logits must be [N, C] or [C], got \(shapeText(logits))") }
        var expected = logits
        expected.remove(at: classAxis(logits))
        guard target == expected else {
            throw OpError("cross_entropy: logits \(shapeText(logits)) need target of shape \(shapeText(expected)) (class indices), got \(shapeText(target))")
        }
        return [LossReduction(attributes).shape(target)]
    }

    func classes(_ target: Tensor, _ count: Int) throws(OpError) -> [Int] {
        let ignore = attributes.int("ignore_index")
        var out: [Int] = []
        out.reserveCapacity(target.count)
        for (i, t) in target.data.enumerated() {
            guard t == t.rounded(), abs(t) < 1e15, (Int(t) >= 0 && Int(t) < count) || Int(t) == ignore else {
                throw OpError("cross_entropy: target element \(i) is \(formatNumber(t)), not a class index in 0..<\(count)")
            }
            out.append(Int(t))
        }
        return out
    }

    public func forward(_ x: [Tensor]) throws(OpError) -> [Tensor] {
        let ax = classAxis(x[0].shape)
        let (_, classCount, inner) = around(x[0].shape, ax)
        let t = try classes(x[1], classCount)
        let logp = softmaxRows(x[0], ax, log: true)
        let ignore = attributes.int("ignore_index")
        var losses = [Double](repeating: 0, count: t.count)
        for (i, cls) in t.enumerated() where cls != ignore {
            losses[i] = -logp.data[(i / inner) * classCount * inner + cls * inner + i % inner]
        }
        let counted = t.filter { $0 != ignore }.count
        return [LossReduction(attributes).reduce(Tensor(shape: x[1].shape, data: losses), count: counted)]
    }

    public func vjp(_ c: VJPContext) -> [Tensor?] {
        let ax = classAxis(c[0].shape)
        let (outer, classCount, inner) = around(c[0].shape, ax)
        let t = try! classes(c[1], classCount)
        let ignore = attributes.int("ignore_index")
        let counted = t.filter { $0 != ignore }.count
        let up = LossReduction(attributes).upstream(c.g, shape: c[1].shape, count: counted)
        // As PyTorch (nll_loss after log_softmax): the loss's gradient is -up at the target
        // and 0 elsewhere (a whole row of 0 for an ignored target), then
        // dlogits = that - exp(log_softmax) * (its row sum). An infinite or NaN upstream
        // gradient, or NaN logits, reach the row through the product, ignored or not.
        var d = softmaxRows(c[0], ax, log: true)
        d.data.withUnsafeMutableBufferPointer { D in
            up.data.withUnsafeBufferPointer { U in
                // One row of classes per target.
                forEachRow(outer: outer, size: classCount, inner: inner) { i, base in
                    let cls = t[i], target = cls == ignore ? 0 : -U[i]
                    for k in 0..<classCount {
                        let at = base + k * inner
                        D[at] = (k == cls ? target : 0) - Foundation.exp(D[at]) * target
                    }
                }
            }
        }
        return [d, nil]
    }
}

public struct BCEWithLogits: Op {
    public static let info = OpInfo(name: "bce_with_logits", symbol: "BCE", inputs: [InputSpec("logits"), InputSpec("target")],
        attributes: [reductionAttribute],
        gradient: "dlogits = g * (σ(logits) - target) / n;  dtarget = -g * logits / n",
        summary: "binary cross-entropy of σ(logits) against targets in [0, 1], computed stably")
    public let attributes: Attributes
    public init(_ attributes: Attributes) throws(OpError) { self.attributes = attributes }
    public func outputShapes(_ s: [[Int]]) throws(OpError) -> [[Int]] {
        guard s[0] == s[1] else {
            throw OpError("bce_with_logits: logits \(shapeText(s[0])) and target \(shapeText(s[1])) must have the same shape")
        }
        return [LossReduction(attributes).shape(s[0])]
    }
    public func forward(_ x: [Tensor]) throws(OpError) -> [Tensor] {
        let l = Tensor.zip(x[0], x[1]) { z, t in Swift.max(z, 0) - z * t + Foundation.log1p(Foundation.exp(-Swift.abs(z))) }
        return [LossReduction(attributes).reduce(l, count: l.count)]
    }
    public func vjp(_ c: VJPContext) -> [Tensor?] {
        let up = LossReduction(attributes).upstream(c.g, shape: c[0].shape, count: c[0].count)
        let dz = c.needs(0) ? Tensor.zip(Tensor.zip(c[0], c[1]) { sigmoid($0) - $1 }, up, *) : nil
        let dt = c.needs(1) ? Tensor.zip(c[0], up) { -$0 * $1 } : nil
        return [dz, dt]
    }
}
