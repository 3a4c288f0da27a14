import Foundation
import GradvizCore
import GradvizModel

/// `gradviz model.json -o graph.html`: the explorer, one self-contained page to pan, zoom,
/// search, collapse and step through a graph (docs/explorer.md).
public enum Explorer {
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
            w.key("status"); w.value(r.nonFinite ? "nonfinite" : item.passed ? "pass" : "fail")
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
        if r.nonFinite { return "The objective is NaN or infinite at this point: there is nothing to compare." }
        let kinks = r.kinks.isEmpty ? "" : " \(r.kinks.count) element\(r.kinks.count == 1 ? " sits" : "s sit") at a kink (the one-sided slopes disagree, as relu at 0 or a tie of max): reported, not failed."
        if let worst = r.mismatches.first {
            let allowed = options.atol + options.rtol * max(abs(worst.analytic), abs(worst.numeric))
            return "Failed: \(r.mismatches.count) of \(r.checked) checked elements break \(rule). The worst, at \(index(worst.index, shape)): "
                + "analytic \(short(worst.analytic)) vs numeric \(short(worst.numeric)), difference \(short(abs(worst.analytic - worst.numeric))) > \(short(allowed)).\(kinks)"
        }
        return "Passed: all \(r.checked - r.kinks.count) compared elements satisfy \(rule); max abs err \(sci(r.maxAbsError)), max rel err \(sci(r.maxRelError)).\(kinks)"
    }

    /// A flat element index as the tensor's index, "[1, 2]" ("[]" for a scalar).
    func index(_ flat: Int, _ shape: [Int]) -> String {
        var rest = flat
        let parts = shape.reversed().map { d -> Int in defer { rest /= max(d, 1) }; return rest % max(d, 1) }
        return "[" + parts.reversed().map(String.init).joined(separator: ", ") + "]"
    }

    func short(_ d: Double) -> String { String(format: "%.6g", d) }
    func sci(_ d: Double) -> String { d.isFinite ? String(format: "%.1e", d) : "\(d)" }
}
