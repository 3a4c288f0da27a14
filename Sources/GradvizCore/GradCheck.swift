import Foundation

/// Central finite differences against an analytic gradient.
///
/// The objective is a scalar function of one tensor, typically ⟨upstream, op(x)⟩ or a whole
/// graph's ⟨seed, output⟩; its gradient at `x` is compared element by element with the
/// analytic one. Step sizes follow each element's scale; large tensors are sampled.
public enum GradCheck {
    public struct Options: Sendable {
        /// Relative step: h = eps · max(1, |x|).
        public var eps: Double = 1e-6
        public var rtol: Double = 1e-5
        public var atol: Double = 1e-7
        /// Check at most this many elements per tensor (seeded choice); nil: all.
        public var samples: Int? = nil
        public var seed: UInt64 = 0
        public init(eps: Double = 1e-6, rtol: Double = 1e-5, atol: Double = 1e-7, samples: Int? = nil, seed: UInt64 = 0) {
            self.eps = eps; self.rtol = rtol; self.atol = atol; self.samples = samples; self.seed = seed
        }
    }

    public struct Mismatch: Sendable {
        public let index: Int
        public let analytic: Double
        public let numeric: Double
    }

    /// The comparison for one tensor.
    public struct Result: Sendable {
        public let checked: Int
        public let maxAbsError: Double
        /// |analytic - numeric| / (atol/rtol + max(|analytic|, |numeric|)): an element is
        /// outside tolerance exactly when this exceeds rtol, so the worst element by this
        /// measure is the first mismatch (the one a report quotes).
        public let maxRelError: Double
        /// Elements where the function is not differentiable (one-sided differences
        /// disagree: relu at 0, ties of max) or not defined on one side (sqrt just above
        /// 0): reported, not counted as failures.
        public let kinks: [Int]
        /// Elements outside tolerance, worst (largest relative error) first.
        public let mismatches: [Mismatch]
        /// Analytic and numeric values at the checked elements, for side-by-side reports.
        public let indices: [Int]
        public let analytic: [Double]
        public let numeric: [Double]
        /// The objective is NaN or infinite at this point: nothing could be compared.
        public var nonFinite: Bool = false
        /// Elements whose analytic gradient is NaN or infinite (and not an infinite
        /// derivative, below): never ok.
        public var nonFiniteGradient: [Mismatch] = []
        /// Elements where the analytic gradient is ±inf and finite differences steepen
        /// without bound as the step shrinks, with the same sign: the derivative is infinite
        /// there (sqrt at 0). Reported as such, not as a wrong backward.
        public var infiniteDerivative: [Int] = []
        public var passed: Bool { mismatches.isEmpty && !nonFinite && nonFiniteGradient.isEmpty }
    }

    /// Compares `analytic` with the central-difference gradient of `f` at `x`.
    /// `f` returning nil (the forward failed at a perturbed point) marks that element a kink.
    public static func compare(at x: Tensor, analytic: Tensor, options: Options = Options(),
                               _ f: (Tensor) -> Double?) -> Result {
        precondition(analytic.shape == x.shape, "analytic gradient \(analytic.shape) for x \(x.shape)")
        let indices = chooseIndices(x.count, options)
        var kinks: [Int] = [], mismatches: [(Mismatch, Double)] = [], numeric: [Double] = []
        var nonFiniteGradient: [Mismatch] = [], infiniteDerivative: [Int] = []
        var maxAbs = 0.0, maxRel = 0.0
        var probe = x
        // The unperturbed objective is the same for every element: computed once.
        let center = f(x)
        if let c = center, !c.isFinite {
            var r = Result(checked: 0, maxAbsError: .nan, maxRelError: .nan, kinks: [], mismatches: [],
                           indices: [], analytic: [], numeric: [])
            r.nonFinite = true
            return r
        }
        // The relative error's floor: below atol/rtol in magnitude, atol decides.
        let floor = options.rtol > 0 ? options.atol / options.rtol : 0
        for i in indices {
            let xi = x.data[i]
            let h = options.eps * Swift.max(1, Swift.abs(xi))
            func at(_ v: Double) -> Double? { probe.data[i] = v; return f(probe) }
            let plus = at(xi + h), minus = at(xi - h)
            probe.data[i] = xi
            guard let plus, let minus, let center else { kinks.append(i); numeric.append(.nan); continue }
            let n = (plus - minus) / (2 * h)
            numeric.append(n)
            let a = analytic.data[i]
            if !a.isFinite {
                // An infinite derivative: the one-sided slopes grow as the step shrinks.
                func steep(_ side: Double) -> Bool {
                    guard let far = at(xi + side * h), let near = at(xi + side * h / 100) else { return false }
                    let s1 = (far - center) / (side * h), s2 = (near - center) / (side * h / 100)
                    return s2.sign == a.sign && (s2.isInfinite || (s1.isFinite && Swift.abs(s2) >= 5 * Swift.abs(s1)))
                }
                let infinite = a.isInfinite && (steep(1) || steep(-1))
                probe.data[i] = xi
                if infinite { infiniteDerivative.append(i) } else { nonFiniteGradient.append(Mismatch(index: i, analytic: a, numeric: n)) }
                continue
            }
            // Not defined on one side (sqrt just above 0, log near 0): nothing to compare.
            if !plus.isFinite || !minus.isFinite { kinks.append(i); continue }
            let abs = Swift.abs(a - n)
            let rel = abs / Swift.max(floor + Swift.max(Swift.abs(a), Swift.abs(n)), 1e-300)
            // A kink: the two one-sided slopes disagree by far more than rounding explains.
            let right = (plus - center) / h, left = (center - minus) / h
            let scale = Swift.max(Swift.abs(right), Swift.abs(left), 1)
            if Swift.abs(right - left) > 1e3 * options.eps * scale + 1e-4 * scale + 1e-10 * Swift.abs(center) / h {
                kinks.append(i)
                continue
            }
            if abs > options.atol + options.rtol * Swift.max(Swift.abs(a), Swift.abs(n)) {
                mismatches.append((Mismatch(index: i, analytic: a, numeric: n), rel))
            }
            maxAbs = Swift.max(maxAbs, abs)
            maxRel = Swift.max(maxRel, Swift.min(rel, 1))
        }
        // Nothing compared (every element a kink or non-finite): no error to speak of.
        if indices.count == kinks.count + nonFiniteGradient.count + infiniteDerivative.count { maxAbs = .nan; maxRel = .nan }
        mismatches.sort { $0.1 != $1.1 ? $0.1 > $1.1 : Swift.abs($0.0.analytic - $0.0.numeric) > Swift.abs($1.0.analytic - $1.0.numeric) }
        var r = Result(checked: indices.count, maxAbsError: maxAbs, maxRelError: maxRel, kinks: kinks,
                       mismatches: mismatches.map(\.0), indices: indices, analytic: indices.map { analytic.data[$0] }, numeric: numeric)
        r.nonFiniteGradient = nonFiniteGradient
        r.infiniteDerivative = infiniteDerivative
        return r
    }

    static func chooseIndices(_ count: Int, _ options: Options) -> [Int] {
        guard let samples = options.samples, samples < count else { return Array(0..<count) }
        var rng = SeededGenerator(seed: options.seed)
        var chosen = Set<Int>()
        while chosen.count < samples { chosen.insert(Int(rng.next() % UInt64(count))) }
        return chosen.sorted()
    }

    /// Checks an op's vjp in isolation: for each differentiable input, the gradient of
    /// ⟨upstream, op(inputs)⟩ (a seeded random upstream unless given).
    public static func check(_ op: any Op, inputs: [Tensor], upstream given: [Tensor]? = nil,
                             options: Options = Options()) throws -> [Result?] {
        let outputs = try op.forward(inputs)
        var rng = SeededGenerator(seed: options.seed &+ 0x5EED)
        let upstream = given ?? outputs.map { y in Tensor(shape: y.shape, data: (0..<y.count).map { _ in rng.normal() }) }
        let needs = inputs.indices.map { op.info.isDifferentiable(slot: $0) }
        let grads = op.vjp(VJPContext(inputs: inputs, outputs: outputs, upstream: upstream, needsGradient: needs))
        return try inputs.indices.map { slot -> Result? in
            guard needs[slot] else { return nil }
            guard slot < grads.count, let g = grads[slot], g.shape == inputs[slot].shape else {
                throw OpError("\(op.name): vjp gave no gradient of shape \(shapeText(inputs[slot].shape)) for input \(op.info.inputName(slot))")
            }
            return compare(at: inputs[slot], analytic: g, options: options) { x in
                var probe = inputs
                probe[slot] = x
                guard let ys = try? op.forward(probe) else { return nil }
                return zip(ys, upstream).reduce(0) { $0 + dot($1.0, $1.1) }
            }
        }
    }

    public static func dot(_ a: Tensor, _ b: Tensor) -> Double {
        var s = 0.0
        for i in 0..<a.count { s += a.data[i] * b.data[i] }
        return s
    }
}

extension Graph {
    /// Recomputes every node with some leaves replaced (`overrides[node]`), without changing
    /// the graph; returns the new values of all nodes. Used for finite differences.
    func replay(_ overrides: [Int: Tensor]) throws(OpError) -> [[Tensor]] {
        var values: [[Tensor]] = []
        values.reserveCapacity(nodes.count)
        for (n, node) in nodes.enumerated() {
            if let v = overrides[n] { values.append([v]); continue }
            guard let op = node.op else { values.append(node.values); continue }
            values.append(try op.forward(node.inputs.map { values[$0.node][$0.output] }))
        }
        return values
    }

    /// ⟨seed, output⟩ summed over outputs, for values from `replay`.
    func objective(_ values: [[Tensor]], outputs: [ValueID], seeds: [ValueID: Tensor] = [:]) -> Double {
        outputs.reduce(0) { acc, v in
            let y = values[v.node][v.output]
            return acc + (seeds[v].map { GradCheck.dot($0, y) } ?? y.sum())
        }
    }
}

/// What a graph check looked at and what it found.
public struct GraphCheckItem {
    public enum Subject: Equatable {
        /// The gradient of the whole objective with respect to a gradient-enabled input.
        case input(ValueID)
        /// One op's vjp in isolation, at the inputs it receives in this graph, for one slot.
        case op(node: Int, slot: Int)
    }
    public let subject: Subject
    public let result: GradCheck.Result
    /// Set when the check could not run (the vjp broke its contract).
    public let problem: String?

    public var passed: Bool { problem == nil && result.passed }
    /// The op node this item points at, if any.
    public var node: Int? { if case .op(let n, _) = subject { return n } else { return nil } }
}

extension GradCheck {
    /// Which op nodes to check in isolation.
    public enum OpSelection: String, Sendable, CaseIterable {
        /// Every op on a gradient path.
        case all
        /// Only ops that are not built-in (custom primitives of a model, Swift ops of yours).
        case custom
        case none
    }

    /// Checks every gradient a graph computes: each gradient-enabled input against finite
    /// differences of the whole objective, and each selected op's vjp in isolation at the
    /// inputs it actually receives, so a wrong backward is pinned to its node.
    public static func check(_ graph: Graph, outputs: [ValueID], seeds: [ValueID: Tensor] = [:],
                             options: Options = Options(), ops: OpSelection = .all) throws -> [GraphCheckItem] {
        let grads = try graph.backward(outputs, seeds: seeds)
        var items: [GraphCheckItem] = []
        for (n, node) in graph.nodes.enumerated() where node.requiresGradient {
            let v = ValueID(node: n)
            guard let analytic = grads[v] else { continue }
            let r = compare(at: node.values[0], analytic: analytic, options: options) { t in
                guard let values = try? graph.replay([n: t]) else { return nil }
                return graph.objective(values, outputs: outputs, seeds: seeds)
            }
            items.append(GraphCheckItem(subject: .input(v), result: r, problem: nil))
        }
        for (n, node) in graph.nodes.enumerated() {
            guard let op = node.op, node.values.indices.contains(where: { grads[ValueID(node: n, output: $0)] != nil }) else { continue }
            switch ops {
            case .none: continue
            case .custom: if OpRegistry.isBuiltIn(op) { continue }
            case .all: break
            }
            let inputs = node.inputs.map(graph.value)
            var perNode = options
            perNode.seed = options.seed &+ UInt64(n)
            do {
                for (slot, r) in try check(op, inputs: inputs, options: perNode).enumerated() {
                    guard let r, grads.edge(node: n, slot: slot) != nil else { continue }
                    items.append(GraphCheckItem(subject: .op(node: n, slot: slot), result: r, problem: nil))
                }
            } catch {
                let empty = Result(checked: 0, maxAbsError: .infinity, maxRelError: 1, kinks: [], mismatches: [],
                                   indices: [], analytic: [], numeric: [])
                items.append(GraphCheckItem(subject: .op(node: n, slot: 0), result: empty, problem: "\(error)"))
            }
        }
        return items
    }
}
