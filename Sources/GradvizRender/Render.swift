import Foundation
import GradvizCore
import GradvizModel
import Graphviz

/// Draws a computed model: the entry point of the exporter.
public enum Renderer {
    /// The drawing of `model` with its gradients in `format` (svg, dot, png or pdf).
    ///
    /// The same model and options give the same bytes for svg, dot and png. PDF embeds
    /// its creation date (cairo), so PDF files differ between runs.
    public static func render(_ model: Model, _ grads: Gradients, format: OutputFormat, options: RenderOptions) throws -> [UInt8] {
        guard format != .json else { throw RenderError("json is not a drawing format; use ResultJSON") }
        guard format != .html else { throw RenderError("html is the explorer page; use Explorer.page") }
        let builder = DrawingBuilder(model: model, grads: grads, options: options)
        // Raster output at 96 dpi is blurry on today's screens; vector formats keep 72.
        if format == .png { builder.dpi = "144" }
        let drawing = try builder.build()
        try layOut(drawing, file: model.file, options: options)
        return try drawing.render(format.rawValue, file: model.file)
    }

    /// Runs dot on a built drawing, with progress messages for a long layout.
    static func layOut(_ drawing: Drawing, file: String, options: RenderOptions) throws {
        let start = Date()
        let count = drawing.drawnNodes
        if count > 300 { options.progress?("laying out \(count) nodes and \(drawing.drawnEdges) edges with dot…") }
        do {
            try drawing.graph.layout(engine: "dot")
        } catch let error as GraphvizError {
            throw RenderError("\(file): Graphviz could not lay out the drawing: \(error)")
        }
        if count > 300 { options.progress?(String(format: "layout done in %.1f s", Date().timeIntervalSince(start))) }
    }

    /// The Graphviz graph of a drawing before layout (for tests and tools).
    static func buildGraph(_ model: Model, _ grads: Gradients, options: RenderOptions) throws -> Graphviz.Graph {
        try DrawingBuilder(model: model, grads: grads, options: options).build().graph
    }
}

extension Drawing {
    /// The laid-out drawing in a Graphviz output format.
    func render(_ format: String, file: String) throws -> [UInt8] {
        do {
            return try graph.render(format: format)
        } catch let error as GraphvizError {
            throw RenderError("\(file): Graphviz could not render \(format): \(error)")
        }
    }
}

public struct RenderError: Error, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
