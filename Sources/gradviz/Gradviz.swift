import ArgumentParser
import Foundation
import GradvizCore
import GradvizModel
import GradvizRender

@main
struct Gradviz: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gradviz",
        abstract: "Draw a computational graph with its forward values and backpropagated gradients.",
        discussion: """
            gradviz reads a model (model.json: inputs, nodes, outputs), runs the
            forward and the backward pass, and draws the graph: values on forward
            edges, the gradient that flows back along every edge, and, at every
            value used several times, the sum of its gradients.

            EXAMPLES
              gradviz model.json -o graph.svg      draw (format from the extension)
              gradviz model.json -o graph.html     explorer: pan, search, step through
              gradviz model.json -o result.json    values, grads, edge gradients
              gradviz model.json -o g.png --rankdir TB --theme dark
              cat model.json | gradviz - -o - --format dot
              gradviz ops                          every op and its gradient
              gradviz check model.json             finite-difference check

            All drawing options: gradviz render --help

            EXIT STATUS
              0 success, 1 internal failure or failed gradient checks,
              2 bad input or usage.
            """,
        version: "0.1.0",
        subcommands: [Render.self, Check.self, Ops.self],
        defaultSubcommand: Render.self
    )

    /// Runs a command with gradviz's exit statuses: 2 for anything the user can fix.
    static func main() {
        guardStandardStreams()
        singleThreadedBLAS()
        keepFreedTensorMemory()
        let arguments = Arguments.joiningNegativeNumbers(Array(CommandLine.arguments.dropFirst()))
        do {
            try Arguments.checkCommandName(arguments)
            var command = try parseAsRoot(arguments)
            try command.run()
        } catch let error as ModelError {
            printError(error.description)
            Foundation.exit(2)
        } catch let error as UserError {
            printError(error.message)
            Foundation.exit(2)
        } catch let error as RenderError {
            printError(error.message)
            Foundation.exit(2)
        } catch let error as OutputError {
            printError(error.message)
            Foundation.exit(1)
        } catch let error as ExitCode {
            Foundation.exit(error.rawValue)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                // --help, --version
                do { try writeStandardOutput(fullMessage(for: error) + "\n") } catch {
                    printError("\(error)")
                    Foundation.exit(1)
                }
                Foundation.exit(0)
            }
            if code == .validationFailure || error is ValidationError {
                // One line: ArgumentParser's first line, without its usage text (printError
                // shows what the user typed visibly).
                printError(Arguments.oneLine(message(for: error)))
                Foundation.exit(2)
            }
            printError("internal error: \(error)")
            Foundation.exit(1)
        }
    }
}

/// Options shared by the commands that read a model and draw it.
struct DrawingOptions: ParsableArguments {
    @Option(help: "What to draw: forward, backward or both.")
    var view: RenderOptions.View = .both
    @Option(help: "Direction of the layout: LR (left to right), RL, TB (top to bottom) or BT, in any case.")
    var rankdir: String = "LR"
    @Option(help: "Colours: light or dark.")
    var theme: RenderOptions.Theme = .light
    @Option(help: "Significant digits of the numbers shown.")
    var precision: Int = 4
    @Option(help: ArgumentHelp("Draw only the neighbourhood of this value id.", valueName: "id"))
    var focus: String?
    @Option(help: "With --focus: how many edges away from it to draw (default 2).")
    var depth: Int?
    @Option(name: .customLong("max-nodes"), help: "Past this many nodes to lay out, fold groups and function calls into summary nodes (repeated structure drawn once, x N), or for a graph without them draw the part nearest the outputs, and say what was folded (default 20000; 1500 in an .html explorer, which then opens in about a second).")
    var maxNodes: Int?
    @Option(help: ArgumentHelp("When folding, keep this group (its path, as in \"group\", or its last part: every group so named), composite call (its id) or function (every call of it) open; repeatable.", valueName: "group"))
    var expand: [String] = []
    @Option(help: "Mark gradient edges whose norm is below this (an exactly-zero gradient is not marked).")
    var vanish: Double = 1e-7
    @Option(help: "Mark gradient edges whose norm is above this.")
    var explode: Double = 1e3
    @Option(name: .customLong("color-by"), help: "Colour gradient edges by log-magnitude (grad) or not (none).")
    var colorBy: RenderOptions.ColorBy = .none
    @Option(help: "Who places the nodes: dot, layered (gradviz's own, for large graphs) or auto (dot while it is fast).")
    var layout: RenderOptions.Layout = .auto

    func validate() throws {
        guard ["LR", "RL", "TB", "BT"].contains(rankdir.uppercased()) else {
            throw ValidationError("--rankdir must be LR, RL, TB or BT, got \(quoted(rankdir))")
        }
        guard (1...17).contains(precision) else { throw ValidationError("--precision must be between 1 and 17, got \(precision)") }
        if let depth {
            guard focus != nil else { throw ValidationError("--depth needs --focus ID: it counts edges away from that value") }
            guard depth >= 0 else { throw ValidationError("--depth must be ≥ 0, got \(depth)") }
        }
        if let maxNodes, maxNodes < 1 { throw ValidationError("--max-nodes must be ≥ 1, got \(maxNodes)") }
        guard vanish >= 0, explode > vanish else { throw ValidationError("--vanish must be ≥ 0 and below --explode") }
    }

    /// The options for drawing into `format`: the explorer page draws fewer nodes by
    /// default (`Explorer.maxDrawnNodes`: its SVG is parsed by a browser), the numbers of
    /// every node are in it all the same.
    func renderOptions(for format: OutputFormat) -> RenderOptions {
        var o = renderOptions
        if format == .html, maxNodes == nil { o.maxNodes = Explorer.maxDrawnNodes }
        return o
    }

    var renderOptions: RenderOptions {
        var o = RenderOptions()
        o.view = view; o.rankdir = rankdir.uppercased(); o.theme = theme; o.precision = precision
        o.focus = focus; o.depth = depth ?? o.depth; o.vanish = vanish; o.explode = explode; o.colorBy = colorBy
        o.maxNodes = maxNodes ?? DrawingLimits.maxNodes
        o.expand = expand
        o.layout = layout
        o.progress = { printError($0) }
        return o
    }
}

extension RenderOptions.View: ExpressibleByArgument {}
extension RenderOptions.Theme: ExpressibleByArgument {}
extension RenderOptions.ColorBy: ExpressibleByArgument {}
extension RenderOptions.Layout: ExpressibleByArgument {}
extension OutputFormat: ExpressibleByArgument {}

/// Picks the output format from --format or the output's extension.
func outputFormat(_ explicit: OutputFormat?, output: String, default fallback: OutputFormat) throws -> OutputFormat {
    if let explicit {
        if output != "-", let implied = OutputFormat(path: output), implied != explicit {
            throw UserError("\(output): the extension says \(implied.rawValue), --format says \(explicit.rawValue); make them agree")
        }
        return explicit
    }
    if output == "-" { return fallback }
    guard let f = OutputFormat(path: output) else {
        throw UserError("\(output): cannot tell the format from the extension; use .svg, .dot, .png, .pdf, .html or .json, or --format")
    }
    return f
}

struct Render: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Compute a model and draw it, or write its values and gradients as JSON (the default command).",
        discussion: """
            EXAMPLES
              gradviz render model.json -o graph.svg
              gradviz model.json -o result.json
              gradviz model.json -o graph.pdf --view backward --precision 3
              gradviz model.json -o graph.svg --mark-failed 'h=backward disagrees'
            """)

    @Argument(help: ArgumentHelp("The model file (model.json), or - for standard input.", valueName: "model"))
    var model: String
    @Option(name: .shortAndLong, help: ArgumentHelp("Output file; its extension gives the format. - for standard output.", valueName: "file"))
    var output: String = "-"
    @Option(help: "Output format: svg, dot, png, pdf, html (the explorer) or json (default: from the output's extension, svg on standard output).")
    var format: OutputFormat?
    @OptionGroup var drawing: DrawingOptions
    @OptionGroup var marks: MarkOptions
    @OptionGroup var limits: LimitOptions

    func run() throws {
        let format = try outputFormat(format, output: output, default: .svg)
        if output == "-", format.isBinary, isatty(STDOUT_FILENO) != 0 {
            throw UserError("refusing to write \(format.rawValue) to a terminal; use -o FILE")
        }
        try checkOutputTarget(output, model: model)
        let clock = PhaseClock()
        let model = try ModelLoader.load(path: self.model, limits: limits.limits, phase: clock.lap)
        let grads: Gradients
        do { grads = try model.backward() } catch { throw ModelError(file: model.file, position: nil, message: "\(error)") }
        clock.lap("backward")
        if let warning = model.nonFiniteWarning(grads) { printError(warning) }
        if format == .json {
            // Written as it is formatted, a chunk at a time: the file can be larger than the
            // model's memory (1.4 GB for bench/tensor's ResNet-18). The writes run on a
            // thread of their own, overlapping the formatting (ChunkWriter says why).
            try writeOutput(to: output) { fd in
                let writer = ChunkWriter(fd: fd)
                _ = ResultJSON.write(model, grads, to: writer.write)
                defer { clock.note(String(format: "writes %.1f ms CPU on their thread, formatting waited %.1f ms for them",
                                          writer.writerCPU * 1e3, writer.callerWaited * 1e3)) }
                return writer.finish()
            }
            clock.lap(format.rawValue)
        } else {
            var options = drawing.renderOptions(for: format)
            options.checkMarks = try marks.checkMarks(for: model)
            if format == .html {
                let bytes = try Explorer.page(model, grads, options: options)
                clock.lap(format.rawValue)
                try writeOutput(bytes, to: output)
            } else {
                // Rendered straight into the file: a large drawing is hundreds of megabytes.
                try writeOutput(to: output) { try Renderer.render(model, grads, format: format, options: options, to: $0) }
                clock.lap(format.rawValue)
            }
        }
        clock.lap("write")
    }
}

struct Ops: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ops",
        abstract: "List every op with its inputs, attributes, defaults and local gradient.",
        discussion: """
            g is the upstream gradient (d objective / d output), y the op's output.

            EXAMPLES
              gradviz ops
              gradviz ops matmul
            """)

    @Argument(help: "Show only these ops.")
    var names: [String] = []

    func run() throws {
        for name in names where OpRegistry.type(named: name) == nil {
            var message = "unknown op \(quoted(name))"
            if let near = nearestName(to: name, in: OpRegistry.names) { message += " (did you mean \(quoted(near))?)" }
            throw UserError(message)
        }
        let types = names.isEmpty ? OpRegistry.all : names.compactMap(OpRegistry.type(named:))
        var text = ""
        for type in types {
            let info = type.info
            let inputs = info.inputs.map { i in
                i.variadic ? "\(i.name)1, \(i.name)2, ..." : i.optional ? "[\(i.name)]" : i.name
            }.joined(separator: ", ")
            text += "\(info.name)(\(inputs))\(info.outputCount == nil ? " -> several outputs" : "")\n"
            text += "    \(info.summary)\n"
            for a in info.attributes {
                let d = a.defaultValue.map { "default \($0)" } ?? "required"
                text += "    \(a.name): \(a.kind.expected), \(d)\(a.doc.isEmpty ? "" : "; \(a.doc)")\n"
            }
            text += "    gradient: \(info.gradient)\n\n"
        }
        try writeStandardOutput(text)
    }
}
