import Foundation
import GradvizCore
import GradvizModel

/// `gradviz model.json -o graph.html`: the explorer, one self-contained page to pan, zoom,
/// search, collapse and step through a graph (docs/explorer.md).
public enum Explorer {
    /// How many nodes the page's drawing holds by default (`--max-nodes` to change it):
    /// past it the drawing keeps the part nearest the outputs, the page still every
    /// number. The browser parses the whole SVG before anything is interactive: the whole
    /// drawing of a 10,000-op DAG is a 47 MB page, ~45 s to interactive in headless
    /// Chromium on the project machine (loaded), folded at 1,500 nodes it is ~7 MB and
    /// ~1-2 s (bench/explorer).
    public static let maxDrawnNodes = 1_500

    /// The page for a computed model. The drawing inside is the one `-o out.svg` writes with
    /// the same options; `check` turns it into a check report (`gradviz check -o report.html`;
    /// pass the check's marks in `options.checkMarks` as for an SVG report).
    ///
    /// The same model and options give the same bytes.
    public static func page(_ model: Model, _ grads: Gradients, options: RenderOptions, check: ExplorerCheck? = nil) throws -> [UInt8] {
        let plan = try DrawingPlan(model: model, gradients: grads, options: options)
        let svg = try Renderer.render(try Renderer.layOut(plan), "svg", file: model.file)
        let names = DrawingNames(plan: plan)
        let data = ExplorerData(model: model, grads: grads, drawing: names, check: check).json()
        return ExplorerPage.assemble(svg: svg, data: data)
    }
}

/// The results of `gradviz check` as the explorer shows them: per checked input or op slot,
/// the analytic and numeric gradients at the checked elements and why it passed or failed.
public struct ExplorerCheck {
    public let items: [GraphCheckItem]
    public let options: GradCheck.Options
    /// The subject of each item as the check's table names it ("node 'h' (swish) ← x = 'z'").
    public let subjects: [String]

    public init(items: [GraphCheckItem], options: GradCheck.Options, subjects: [String]) {
        self.items = items
        self.options = options
        self.subjects = subjects
    }

    func write(_ w: inout JSONWriter, data: ExplorerData) {
        let graph = data.model.graph
        w.beginObject()
        w.key("passed"); w.value(items.allSatisfy(\.passed))
        w.key("eps"); w.value(options.eps)
        w.key("rtol"); w.value(options.rtol)
        w.key("atol"); w.value(options.atol)
        w.key("items")
        w.beginArray()
        for (i, item) in items.enumerated() {
            w.beginObject()
            w.key("subject"); w.value(i < subjects.count ? subjects[i] : "")
            switch item.subject {
            case .input(let v):
                w.key("kind"); w.value("input")
                w.key("node"); w.value(v.node)
            case .op(let n, let slot):
                w.key("kind"); w.value("op")
                w.key("node"); w.value(n)
                w.key("slot"); w.value(slot)
                let node = graph.nodes[n]
                w.key("slotName"); w.value(node.op?.info.inputName(slot) ?? "\(slot)")
                w.key("input"); w.value(slot < node.inputs.count ? data.drawing.valueName(node.inputs[slot]) : "")
            }
            let r = item.result
            // An op whose inputs give a non-finite output could not be checked: neutral, not failed.
            let status = item.problem != nil ? "fail" : r.nonFinite ? (item.node == nil ? "nonfinite" : "unchecked")
                : !r.nonFiniteGradient.isEmpty ? "nonfinite" : item.passed ? "pass" : "fail"
            w.key("status"); w.value(status)
            let checked: ValueID
            switch item.subject {
            case .input(let v): checked = v
            case .op(let n, let slot): checked = slot < graph.nodes[n].inputs.count ? graph.nodes[n].inputs[slot] : ValueID(node: n)
            }
            w.key("why"); w.value(why(item, shape: graph.value(checked).shape))
            let limit = ExplorerData.elementLimit
            w.key("indices"); w.beginArray(); for x in r.indices.prefix(limit) { w.value(x) }; w.endArray()
            w.key("analytic"); w.beginArray(); for x in r.analytic.prefix(limit) { w.value(x) }; w.endArray()
            w.key("numeric"); w.beginArray(); for x in r.numeric.prefix(limit) { w.value(x) }; w.endArray()
            w.endObject()
        }
        w.endArray()
        w.endObject()
    }

    /// Why an item passed or failed, in one sentence with the numbers that decided it.
    func why(_ item: GraphCheckItem, shape: [Int]) -> String {
        let r = item.result
        let rule = "|analytic − numeric| ≤ atol + rtol·max(|analytic|, |numeric|) (atol \(short(options.atol)), rtol \(short(options.rtol)))"
        if let problem = item.problem { return "Could not be checked: \(problem)." }
        if r.nonFinite {
            return item.node == nil ? "The objective is NaN or infinite at this point: there is nothing to compare."
                : "Not checked: the op's output is NaN or infinite at the inputs it receives here, so there is nothing to compare (its backward is not blamed)."
        }
        let kinks = r.kinks.isEmpty ? "" : " \(r.kinks.count) element\(r.kinks.count == 1 ? " sits" : "s sit") at a kink (the one-sided slopes disagree, as relu at 0 or a tie of max): reported, not failed."
        let steep = r.infiniteDerivative.isEmpty ? "" : " At \(r.infiniteDerivative.prefix(3).map { index($0, shape) }.joined(separator: ", ")) the derivative is infinite (finite differences steepen without bound as the step shrinks): reported, not failed."
        if let bad = r.nonFiniteGradient.first {
            return "Not ok: the gradient is \(short(bad.analytic)) at \(index(bad.index, shape))"
                + (r.nonFiniteGradient.count > 1 ? " and \(r.nonFiniteGradient.count - 1) more element\(r.nonFiniteGradient.count == 2 ? "" : "s")" : "")
                + " where finite differences give \(short(bad.numeric)); a NaN or infinite gradient is never ok.\(steep)"
        }
        if let worst = r.mismatches.first {
            let allowed = options.atol + options.rtol * max(abs(worst.analytic), abs(worst.numeric))
            return "Failed: \(r.mismatches.count) of \(r.checked) checked elements break \(rule). The worst, at \(index(worst.index, shape)): "
                + "analytic \(short(worst.analytic)) vs numeric \(short(worst.numeric)), difference \(short(abs(worst.analytic - worst.numeric))) > \(short(allowed)).\(kinks)\(steep)"
        }
        let compared = r.checked - r.kinks.count - r.infiniteDerivative.count
        if compared == 0 { return "Passed: no element could be compared.\(kinks)\(steep)" }
        return "Passed: all \(compared) compared elements satisfy \(rule); max abs err \(sci(r.maxAbsError)), max rel err \(sci(r.maxRelError)).\(kinks)\(steep)"
    }

    /// A flat element index as the tensor's index, "[1, 2]" ("[]" for a scalar).
    func index(_ flat: Int, _ shape: [Int]) -> String {
        var rest = flat
        let parts = shape.reversed().map { d -> Int in defer { rest /= max(d, 1) }; return rest % max(d, 1) }
        return "[" + parts.reversed().map(String.init).joined(separator: ", ") + "]"
    }

    func short(_ d: Double) -> String { d.isNaN ? "NaN" : d.isInfinite ? (d < 0 ? "-inf" : "inf") : String(format: "%.6g", d) }
    func sci(_ d: Double) -> String { d.isFinite ? String(format: "%.1e", d) : "\(d)" }
}
