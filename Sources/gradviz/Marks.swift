import ArgumentParser
import GradvizCore
import GradvizModel
import GradvizRender

/// Check marks given from outside (`--mark-failed`, `--mark-passed`), drawn exactly as
/// `gradviz check -o report.svg` draws its own results. A checker that compares gradients
/// some other way (gradviz_torch.check compares with PyTorch's autograd) points at the
/// node it blames without gradviz knowing how it decided.
struct MarkOptions: ParsableArguments {
    @Option(name: .customLong("mark-failed"), help: ArgumentHelp(
        "Mark the node computing ID as a failed gradient check, with NOTE as its caption; ID:SLOT=NOTE puts NOTE on the gradient edge into input SLOT (0-based). Repeatable.",
        valueName: "ID[:SLOT]=NOTE"))
    var failed: [String] = []
    @Option(name: .customLong("mark-passed"), help: ArgumentHelp("Mark the node computing ID as a passed gradient check (a check mark). Repeatable.", valueName: "ID"))
    var passed: [String] = []

    /// The marks by graph node index; an unknown id, an input or a bad slot is a usage error.
    func checkMarks(for model: Model) throws -> [Int: CheckMark] {
        var marks: [Int: CheckMark] = [:]
        for id in passed {
            let n = try node(id, option: "--mark-passed", in: model)
            marks[n] = marks[n] ?? CheckMark(passed: true, kink: false, summary: "gradient check passed", slots: [:])
        }
        for spec in failed {
            guard let eq = spec.firstIndex(of: "=") else {
                throw UserError("--mark-failed \(quoted(spec)): expected ID=NOTE or ID:SLOT=NOTE")
            }
            let target = spec[..<eq], note = String(spec[spec.index(after: eq)...])
            let parts = target.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            let id = String(parts[0])
            let n = try node(id, option: "--mark-failed", in: model)
            var mark = marks[n].flatMap { $0.passed ? nil : $0 } ?? CheckMark(passed: false, kink: false, summary: "gradient check FAILED", slots: [:])
            if parts.count == 2 {
                let arity = model.graph.nodes[n].inputs.count
                guard let slot = Int(parts[1]), (0..<arity).contains(slot) else {
                    throw UserError("--mark-failed \(quoted(spec)): slot \(quoted(parts[1])) is not an input position of \(quoted(id)) (0..<\(arity))")
                }
                mark.slots[slot] = note
            } else {
                mark.summary = note
            }
            marks[n] = mark
        }
        return marks
    }

    private func node(_ id: String, option: String, in model: Model) throws -> Int {
        guard let v = model.value(named: id) else {
            var message = "\(option): no value named \(quoted(id))"
            if let near = nearestName(to: id, in: model.namedValues.map(\.name)) { message += " (did you mean \(quoted(near))?)" }
            throw UserError(message)
        }
        guard model.graph.nodes[v.node].op != nil else { throw UserError("\(option): \(quoted(id)) is an input, not computed by an op") }
        return v.node
    }
}
