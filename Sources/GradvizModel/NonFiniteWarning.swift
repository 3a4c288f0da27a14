import GradvizCore
import UserText

extension Model {
    /// ⟨seed, output⟩ summed over the outputs: the objective backpropagation differentiates.
    public var objective: Double {
        outputs.reduce(0) { total, v in
            let y = graph.value(v)
            return total + (seeds[v].map { GradCheck.dot($0, y) } ?? y.sum())
        }
    }

    /// One line for stderr when the objective or a gradient of an input is NaN or infinite
    /// (the drawing and the result are still written): where the first non-finite value
    /// appeared, with its file and line. nil when all is finite.
    public func nonFiniteWarning(_ grads: Gradients) -> String? {
        let objective = self.objective
        if !objective.isFinite {
            guard let origin = graph.nonFiniteOrigin() else {
                return "\(file): the objective is \(text(objective)) although every value is finite (the sum over the outputs overflows)"
            }
            let node = graph.nodes[origin.node]
            let inputs = origin.slots.map { quoted(name(node.inputs[$0])) }.joined(separator: ", ")
            let what = node.op.map { "\($0.name) of \(inputs)" } ?? "an input"
            return "\(place(origin.node)): the objective is \(text(objective)): non-finite values start at "
                + "\(quoted(name(ValueID(node: origin.node)))) (\(what))"
        }
        let bad = graph.nodes.indices.filter { n in
            graph.nodes[n].requiresGradient && !(grads[ValueID(node: n)]?.data.allSatisfy(\.isFinite) ?? true)
        }
        guard let first = bad.first else { return nil }
        let inputs = bad.prefix(3).map { quoted(name(ValueID(node: $0))) }.joined(separator: ", ") + (bad.count > 3 ? ", ..." : "")
        var message = (bad.count == 1 ? "the gradient of \(inputs) is" : "the gradients of \(inputs) are")
            + " NaN or infinite though the objective is finite (\(text(objective)))"
        if let origin = graph.nonFiniteGradientOrigin(grads) {
            message = "\(place(origin.node)): " + message + ": non-finite gradients start at \(quoted(name(ValueID(node: origin.node)))) "
                + "(\(graph.nodes[origin.node].op!.name)), whose backward gives \(text(origin.first)) from a finite upstream gradient"
        } else {
            message = "\(place(first)): " + message
        }
        return message
    }

    private func name(_ v: ValueID) -> String {
        let n = graph.name(v)
        return n.isEmpty ? "\(v)" : n
    }

    /// "model.json:12" for a node the file wrote on line 12, "model.json" otherwise.
    private func place(_ node: Int) -> String {
        node < lines.count && lines[node] > 0 ? "\(file):\(lines[node])" : file
    }

    private func text(_ d: Double) -> String { d.isNaN ? "NaN" : d.isInfinite ? (d < 0 ? "-inf" : "inf") : formatNumber(d) }
}
