import Foundation
import GradvizCore
import GradvizModel
import GradvizRender

/// The results of a check, named as the model names things.
public struct CheckReport {
    public let model: Model
    public let items: [GraphCheckItem]
    /// Where a NaN or infinite gradient starts, when the forward values are finite.
    public var gradientOrigin: NonFiniteGradientOrigin?

    public init(model: Model, items: [GraphCheckItem]) {
        self.model = model
        self.items = items
    }

    /// Checks every gradient of `model` (`GradCheck.check`) and finds where a non-finite
    /// gradient starts. A failure of the check itself is a `ModelError` naming the file.
    public static func run(_ model: Model, options: GradCheck.Options, ops: GradCheck.OpSelection) throws -> CheckReport {
        let items: [GraphCheckItem]
        do {
            items = try GradCheck.check(model.graph, outputs: model.outputs, seeds: model.seeds, options: options, ops: ops)
        } catch {
            throw ModelError(file: model.file, position: nil, message: "\(error)")
        }
        var report = CheckReport(model: model, items: items)
        if items.contains(where: { !$0.result.nonFiniteGradient.isEmpty }), model.graph.nonFiniteOrigin() == nil {
            report.gradientOrigin = model.graph.nonFiniteGradientOrigin(try model.backward())
        }
        return report
    }

    /// Why nothing was checked, when nothing was.
    public var nothingToCheck: String? {
        guard items.isEmpty else { return nil }
        return model.graph.nodes.contains(where: \.requiresGradient)
            ? "no gradient-enabled input reaches an output" : "no input has a gradient (every input is \"grad\": false)"
    }

    /// The report file: the JSON report, the explorer page (html), or the drawing with
    /// each checked op marked (svg, png, pdf, dot).
    public func file(_ format: OutputFormat, check options: GradCheck.Options, drawing: RenderOptions) throws -> [UInt8] {
        if format == .json { return json(options: options) }
        let grads = try model.backward()
        var o = drawing
        o.checkMarks = marks(grads, options: options)
        if format == .html {
            let check = ExplorerCheck(items: items, options: options, subjects: items.map(subject))
            return try Explorer.page(model, grads, options: o, check: check)
        }
        return try Renderer.render(model, grads, format: format, options: o)
    }

    public var passed: Bool { items.allSatisfy(\.passed) }

    public func name(_ v: ValueID) -> String {
        let n = model.graph.name(v)
        return n.isEmpty ? (model.graph.node(v).kind.isConstant ? "constant" : "\(v)") : n
    }

    /// "input 'w'" or "node 'm' (mysig) ← x = 'w'".
    public func subject(_ item: GraphCheckItem) -> String {
        switch item.subject {
        case .input(let v): return "input \(quoted(name(v)))"
        case .op(let n, let slot):
            let node = model.graph.nodes[n]
            let op = node.op!
            return "node \(quoted(name(ValueID(node: n)))) (\(op.name)) ← \(op.info.inputName(slot)) = \(quoted(name(node.inputs[slot])))"
        }
    }

    /// A backward that disagrees with finite differences (or broke its contract).
    public func disagrees(_ item: GraphCheckItem) -> Bool {
        item.problem != nil || (!item.result.nonFinite && item.result.nonFiniteGradient.isEmpty && !item.result.mismatches.isEmpty)
    }

    public func status(_ item: GraphCheckItem) -> String {
        let r = item.result
        if item.problem != nil { return "FAIL" }
        if r.nonFinite { return item.node == nil ? "NaN/Inf" : "not checked" }
        if !r.nonFiniteGradient.isEmpty { return r.nonFiniteGradient.contains { $0.analytic.isNaN } ? "NaN grad" : "inf grad" }
        if !r.mismatches.isEmpty { return "FAIL" }
        if !r.infiniteDerivative.isEmpty { return "inf slope" }
        return r.kinks.isEmpty ? "ok" : "ok (\(r.kinks.count) kink\(r.kinks.count == 1 ? "" : "s"))"
    }

    public func detail(_ item: GraphCheckItem) -> String {
        let r = item.result
        if let p = item.problem { return p }
        if r.nonFinite {
            return item.node == nil ? "the objective is not finite here: nothing to compare"
                                    : "its inputs here give a non-finite output: nothing to compare"
        }
        if let bad = r.nonFiniteGradient.first {
            let more = r.nonFiniteGradient.count > 1 ? " (and \(r.nonFiniteGradient.count - 1) more)" : ""
            return "gradient \(short(bad.analytic))\(at(item, bad.index))\(more), finite differences \(short(bad.numeric))"
        }
        if let worst = r.mismatches.first {
            return "analytic \(short(worst.analytic)) vs numeric \(short(worst.numeric)) at \(indexText(item, worst.index))"
        }
        if let at = r.infiniteDerivative.first {
            return "the derivative is infinite\(self.at(item, at)) (finite differences steepen without bound): not a wrong backward"
        }
        return ""
    }

    public func table(failuresOnly: Bool = false) -> String {
        let failed = items.filter(disagrees)
        let nonFiniteGradients = items.filter { !$0.result.nonFiniteGradient.isEmpty && $0.problem == nil }
        let unchecked = items.filter { $0.result.nonFinite && $0.problem == nil }
        var counts: [String] = []
        if !failed.isEmpty { counts.append("\(failed.count) failed") }
        if !nonFiniteGradients.isEmpty { counts.append("\(nonFiniteGradients.count) with a NaN or infinite gradient") }
        if !unchecked.isEmpty { counts.append("\(unchecked.count) not checked (non-finite values)") }
        let steep = items.filter { !$0.result.infiniteDerivative.isEmpty && $0.passed }.count
        let note = steep == 0 ? "" : "; \(steep) at a point where the derivative is infinite"
        var out = "gradient check of \(visibleText(model.file)): \(items.count) checked, \(counts.isEmpty ? "all pass" : counts.joined(separator: ", "))\(note)\n"
        let rows = items.filter { !failuresOnly || !$0.passed }.map { item -> [String] in
            let r = item.result
            return [subject(item), "\(r.checked)/\(tensorCount(item))", sci(r.maxAbsError), sci(r.maxRelError), status(item), detail(item)]
        }
        let header = ["check", "elements", "max abs err", "max rel err", "result", ""]
        let widths = (0..<5).map { c in ([header] + rows).map { $0[c].count }.max()! }
        for row in [header] + rows {
            let cells = (0..<5).map { c in c == 0 ? row[c].padding(toLength: widths[c], withPad: " ", startingAt: 0)
                                                  : String(repeating: " ", count: widths[c] - row[c].count) + row[c] }
            out += "  " + cells.joined(separator: "  ") + (row[5].isEmpty ? "" : "  " + row[5]) + "\n"
        }
        if let origin = model.graph.nonFiniteOrigin() {
            let node = model.graph.nodes[origin.node]
            let inputs = origin.slots.map { "\(quoted(name(node.inputs[$0])))" }.joined(separator: ", ")
            out += "non-finite values start at \(quoted(name(ValueID(node: origin.node))))"
                + (node.op.map { " (\($0.name) of \(inputs))" } ?? "") + "; \(origin.inherited.count) later values inherit them\n"
        }
        if let origin = gradientOrigin {
            let node = model.graph.nodes[origin.node]
            let inputs = origin.slots.map { quoted(name(node.inputs[$0])) }.joined(separator: ", ")
            out += "non-finite gradients start at \(quoted(name(ValueID(node: origin.node)))) (\(node.op!.name) of \(inputs)): "
                + "from a finite upstream gradient its backward gives \(short(origin.first))"
            let steep = items.contains { $0.node == origin.node && !$0.result.infiniteDerivative.isEmpty }
            out += steep ? ", where its derivative is infinite (the forward is finite)\n" : " (the forward is finite)\n"
        }
        let nodes = Set(failed.compactMap(\.node)).sorted().map { quoted(name(ValueID(node: $0))) }
        if !nodes.isEmpty { out += "the backward of \(nodes.joined(separator: ", ")) disagrees with finite differences\n" }
        else if !unchecked.isEmpty { out += "every backward that could be checked agrees with finite differences\n" }
        else if !nonFiniteGradients.isEmpty { out += "every backward agrees with finite differences\n" }
        return out
    }

    func tensorCount(_ item: GraphCheckItem) -> Int {
        switch item.subject {
        case .input(let v): return model.graph.value(v).count
        case .op(let n, let slot): return model.graph.value(model.graph.nodes[n].inputs[slot]).count
        }
    }

    func shape(_ item: GraphCheckItem) -> [Int] {
        switch item.subject {
        case .input(let v): return model.graph.value(v).shape
        case .op(let n, let slot): return model.graph.value(model.graph.nodes[n].inputs[slot]).shape
        }
    }

    /// A flat index as a multi-index: [1, 2].
    func multiIndex(_ item: GraphCheckItem, _ flat: Int) -> [Int] {
        var rest = flat
        return shape(item).reversed().map { d in defer { rest /= d }; return rest % d }.reversed()
    }

    func indexText(_ item: GraphCheckItem, _ flat: Int) -> String {
        "[" + multiIndex(item, flat).map(String.init).joined(separator: ", ") + "]"
    }

    /// " at [1, 2]", or nothing for a scalar.
    func at(_ item: GraphCheckItem, _ flat: Int) -> String { shape(item).isEmpty ? "" : " at " + indexText(item, flat) }

    func short(_ d: Double) -> String { d.isNaN ? "NaN" : d.isInfinite ? (d < 0 ? "-inf" : "inf") : String(format: "%.6g", d) }
    /// "-" where nothing was compared (the error is NaN).
    func sci(_ d: Double) -> String { d.isNaN ? "-" : d.isFinite ? String(format: "%.1e", d) : "\(d)" }

    public func json(options: GradCheck.Options) -> [UInt8] {
        var w = JSONWriter(style: .pretty)
        w.beginObject()
        w.key("gradviz"); w.value(1)
        w.key("model"); w.value(model.file)
        w.key("passed"); w.value(passed)
        w.key("options")
        w.beginObject()
        w.key("eps"); w.value(options.eps)
        w.key("rtol"); w.value(options.rtol)
        w.key("atol"); w.value(options.atol)
        w.key("samples"); if let s = options.samples { w.value(s) } else { w.null() }
        w.key("seed"); w.value(Int(truncatingIfNeeded: options.seed))
        w.endObject()
        w.key("checks")
        w.beginArray()
        for item in items {
            w.beginObject()
            switch item.subject {
            case .input(let v):
                w.key("kind"); w.value("input")
                w.key("id"); w.value(name(v))
            case .op(let n, let slot):
                let node = model.graph.nodes[n]
                w.key("kind"); w.value("op")
                w.key("node"); w.value(name(ValueID(node: n)))
                w.key("op"); w.value(node.op!.name)
                w.key("slot"); w.value(slot)
                w.key("input"); w.value(name(node.inputs[slot]))
            }
            let r = item.result
            let status = item.problem != nil ? "fail" : r.nonFinite ? "nonfinite" : !r.nonFiniteGradient.isEmpty ? "nonfinite_gradient"
                : item.passed ? "pass" : "fail"
            w.key("status"); w.value(status)
            if let p = item.problem { w.key("problem"); w.value(p) }
            w.key("checked"); w.value(r.checked)
            w.key("elements"); w.value(tensorCount(item))
            w.key("maxAbsError"); w.value(r.maxAbsError)
            w.key("maxRelError"); w.value(r.maxRelError)
            w.key("kinks")
            w.beginArray(singleLine: true)
            for k in r.kinks { w.tensor(multiIndex(item, k).map(Double.init), shape: [shape(item).count]) }
            w.endArray()
            w.key("infiniteDerivative")
            w.beginArray(singleLine: true)
            for k in r.infiniteDerivative { w.tensor(multiIndex(item, k).map(Double.init), shape: [shape(item).count]) }
            w.endArray()
            for (key, list) in [("mismatches", r.mismatches), ("nonFiniteGradient", r.nonFiniteGradient)] {
                w.key(key)
                w.beginArray()
                for m in list.prefix(20) {
                    w.beginObject()
                    w.key("index"); w.tensor(multiIndex(item, m.index).map(Double.init), shape: [shape(item).count])
                    w.key("analytic"); w.value(m.analytic)
                    w.key("numeric"); w.value(m.numeric)
                    w.endObject()
                }
                w.endArray()
            }
            w.endObject()
        }
        w.endArray()
        w.endObject()
        return w.fileBytes()
    }

    /// Marks for the drawing: per checked op node, passed, failed or not checked (its
    /// output is not finite at these inputs: nothing to compare, nothing blamed). On a
    /// failed slot, the numbers of one test: finite differences of the op alone for the
    /// model's own upstream gradient, i.e. what the ∇ drawn on that edge should be; when
    /// that upstream hides the error (a zero gradient), the op check's own numbers with its
    /// random upstream gradient, labelled so. `grads` are the model's gradients.
    public func marks(_ grads: Gradients? = nil, options: GradCheck.Options = GradCheck.Options()) -> [Int: CheckMark] {
        var marks: [Int: CheckMark] = [:]
        var worst: [Int: Double] = [:]
        for item in items {
            guard case .op(let n, let slot) = item.subject else { continue }
            var mark = marks[n] ?? CheckMark(verdict: .passed, kink: false, summary: "", slots: [:])
            let r = item.result
            let failed = disagrees(item) || (!r.nonFinite && !r.nonFiniteGradient.isEmpty)
            if failed { mark.verdict = .failed } else if r.nonFinite, mark.verdict == .passed { mark.verdict = .unchecked }
            mark.kink = mark.kink || !r.kinks.isEmpty
            mark.infiniteDerivative = mark.infiniteDerivative || !r.infiniteDerivative.isEmpty
            if failed {
                worst[n] = Swift.max(worst[n] ?? 0, r.maxRelError.isNaN ? 1 : r.maxRelError)
                if let expected = grads.flatMap({ expectedGradient(n, slot, $0, options) }) {
                    mark.expected[slot] = expected
                    mark.slots[slot] = "(the op alone, same upstream gradient)"
                } else if let p = item.problem {
                    mark.slots[slot] = p
                } else if let bad = r.mismatches.first ?? r.nonFiniteGradient.first {
                    mark.slots[slot] = "✗ op check, random upstream gradient: backward \(short(bad.analytic)) vs finite differences \(short(bad.numeric))\(at(item, bad.index))"
                }
            }
            switch mark.verdict {
            case .passed: mark.summary = "op check passed"
            case .failed: mark.summary = "op check FAILED: max rel err \(sci(worst[n] ?? 1))"
            case .unchecked: mark.summary = "op check not possible: its output is NaN/Inf at these inputs"
            }
            marks[n] = mark
        }
        return marks
    }

    /// The finite-difference gradient of node `n`'s input `slot` for the model's own upstream
    /// gradient, when it disagrees with the backward (so the drawing can show the two side
    /// by side); nil for a large input (the op check's sampled numbers are shown instead).
    func expectedGradient(_ n: Int, _ slot: Int, _ grads: Gradients, _ options: GradCheck.Options) -> Tensor? {
        let node = model.graph.nodes[n]
        guard let op = node.op, slot < node.inputs.count else { return nil }
        let inputs = node.inputs.map(model.graph.value)
        guard inputs[slot].count <= 4096 else { return nil }
        let upstream = node.values.indices.map { k in grads[ValueID(node: n, output: k)] ?? Tensor.zeros(node.values[k].shape) }
        var all = options
        all.samples = nil
        guard let results = try? GradCheck.check(op, inputs: inputs, upstream: upstream, options: all), slot < results.count,
              let r = results[slot], !r.nonFinite, !r.passed else { return nil }
        return Tensor(shape: inputs[slot].shape, data: r.numeric)
    }
}

extension Graph.Kind {
    var isConstant: Bool { if case .constant = self { return true } else { return false } }
}
