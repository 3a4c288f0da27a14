import Foundation
import GradvizCore
import GradvizModel
import Graphviz

/// Draws a computed model: the entry point of the exporter. One path: model and
/// gradients -> `DrawingPlan` (what is drawn) -> `GraphvizEmitter` (a Graphviz graph, text
/// from `DrawingLabels`) -> dot's layout -> the format's bytes. The explorer
/// (`Explorer.page`) embeds the same SVG and reads the same plan.
public enum Renderer {
    /// The drawing of `model` with its gradients in `format` (svg, dot, png or pdf).
    ///
    /// The same model and options give the same bytes for svg, dot and png. PDF embeds
    /// its creation date (cairo), so PDF files differ between runs.
    public static func render(_ model: Model, _ grads: Gradients, format: OutputFormat, options: RenderOptions) throws -> [UInt8] {
        try checkDrawingFormat(format)
        return try render(try DrawingPlan(model: model, gradients: grads, options: options), format: format)
    }

    /// The drawing of a plan, laid out by dot, in `format` (svg, dot, png or pdf). Says on
    /// `options.progress` what the plan left out, and about long layouts.
    public static func render(_ plan: DrawingPlan, format: OutputFormat) throws -> [UInt8] {
        try checkDrawingFormat(format)
        // Raster output at 96 dpi is blurry on today's screens; vector formats keep 72.
        let graph = try layOut(plan, dpi: format == .png ? "144" : nil)
        return try render(graph, format.rawValue, file: plan.model.file)
    }

    static func checkDrawingFormat(_ format: OutputFormat) throws {
        guard format != .json else { throw RenderError("json is not a drawing format; use ResultJSON") }
        guard format != .html else { throw RenderError("html is the explorer page; use Explorer.page") }
    }

    /// The plan's Graphviz graph laid out by dot, with the plan's messages and progress
    /// messages for a long layout on `options.progress`.
    static func layOut(_ plan: DrawingPlan, dpi: String? = nil) throws -> Graphviz.Graph {
        let progress = plan.options.progress
        for message in plan.messages { progress?(message) }
        let graph = GraphvizEmitter(plan, dpi: dpi).emit()
        let start = Date()
        let count = plan.nodes.count
        let verbose = count > DrawingLimits.progressAbove
        if verbose { progress?("laying out \(count) nodes and \(plan.edges.count) edges with dot…") }
        do {
            try graph.layout(engine: "dot")
        } catch let error as GraphvizError {
            throw RenderError("\(plan.model.file): Graphviz could not lay out the drawing: \(error)")
        }
        if verbose { progress?(String(format: "layout done in %.1f s", Date().timeIntervalSince(start))) }
        return graph
    }

    /// A laid-out graph in a Graphviz output format.
    static func render(_ graph: Graphviz.Graph, _ format: String, file: String) throws -> [UInt8] {
        do {
            return try graph.render(format: format)
        } catch let error as GraphvizError {
            throw RenderError("\(file): Graphviz could not render \(format): \(error)")
        }
    }

    /// The Graphviz graph of a drawing before layout (for tests and tools).
    static func buildGraph(_ model: Model, _ grads: Gradients, options: RenderOptions) throws -> Graphviz.Graph {
        GraphvizEmitter(try DrawingPlan(model: model, gradients: grads, options: options)).emit()
    }
}

public struct RenderError: Error, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
