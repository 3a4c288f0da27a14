import ArgumentParser
import Foundation
import GradvizCheck
import GradvizCore
import GradvizModel
import GradvizRender

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check every gradient a model computes against central finite differences.",
        discussion: """
            Each gradient-enabled input is checked against finite differences of the
            whole objective, and each op (by default every op on a gradient path;
            custom primitives are the point) is checked alone at the inputs it
            receives in this model, so a wrong backward is pinned to its node.
            Kinks (relu at 0, ties of max) and infinite derivatives (sqrt at 0) are
            reported, not failed. A NaN or infinite gradient never passes: the report
            says where it starts. max rel err is |analytic - numeric| / (atol/rtol +
            the larger magnitude): a check fails exactly when it exceeds rtol, and the
            element quoted is the one where it is largest.

            EXAMPLES
              gradviz check model.json
              gradviz check model.json -o report.svg     drawing with failures marked
              gradviz check model.json -o report.html    explorer with every check
              gradviz check model.json -o report.json --samples 0 --rtol 1e-6

            EXIT STATUS
              0 all checks pass, 1 a check fails or a gradient is NaN or infinite,
              2 bad input or usage, or nothing to check (no gradient-enabled input).
            """)

    @Argument(help: ArgumentHelp("The model file (model.json), or - for standard input.", valueName: "model"))
    var model: String
    @Option(name: .shortAndLong, help: ArgumentHelp("Also write a report: .svg/.png/.pdf/.dot (drawing), .html (explorer) or .json.", valueName: "file"))
    var output: String?
    @Option(help: "Report format (default: from the report's extension).")
    var format: OutputFormat?
    @Option(help: "Relative step: h = eps * max(1, |x|).")
    var eps: Double = 1e-6
    @Option(help: "Relative tolerance.")
    var rtol: Double = 1e-5
    @Option(help: "Absolute tolerance.")
    var atol: Double = 1e-7
    @Option(help: "Elements checked per tensor, chosen with --seed (0: all).")
    var samples: Int = 64
    @Option(help: "Seed for sampling elements and upstream gradients.")
    var seed: UInt64 = 0
    @Option(help: "Ops checked in isolation: all, custom or none.")
    var ops: GradCheck.OpSelection = .all
    @Flag(name: .customLong("failures-only"), help: "List only the checks that did not pass (the first line still counts all).")
    var failuresOnly = false
    @OptionGroup var drawing: DrawingOptions
    @OptionGroup var limits: LimitOptions

    func validate() throws {
        guard eps > 0, eps < 1 else { throw ValidationError("--eps must be in (0, 1), got \(eps)") }
        guard rtol >= 0, atol >= 0 else { throw ValidationError("--rtol and --atol must be ≥ 0") }
        guard samples >= 0 else { throw ValidationError("--samples must be ≥ 0 (0 checks every element)") }
    }

    func run() throws {
        let reportFormat = try output.map { try outputFormat(format, output: $0, default: .json) }
        if let output { try checkOutputTarget(output, model: model) }
        let model = try ModelLoader.load(path: self.model, limits: limits.limits)
        let options = GradCheck.Options(eps: eps, rtol: rtol, atol: atol, samples: samples == 0 ? nil : samples, seed: seed)
        let report = try CheckReport.run(model, options: options, ops: ops)
        if let reason = report.nothingToCheck { throw UserError("\(model.file): nothing to check: \(reason)") }
        try writeStandardOutput(report.table(failuresOnly: failuresOnly))
        if let output, let reportFormat {
            try writeOutput(try report.file(reportFormat, check: options, drawing: drawing.renderOptions(for: reportFormat)), to: output)
        }
        if !report.passed { throw ExitCode(1) }
    }
}

extension GradCheck.OpSelection: ExpressibleByArgument {}
