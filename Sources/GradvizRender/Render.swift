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
        return try render(try plan(model, grads, options: options), format: format)
    }

    /// The plan of a drawing, said on `options.progress` for a large graph (a second or
    /// more of planning at 100,000 ops, before anything else is said).
    static func plan(_ model: Model, _ grads: Gradients, options: RenderOptions) throws -> DrawingPlan {
        if model.graph.nodes.count > DrawingLimits.layeredProgressAbove { options.progress?("planning the drawing…") }
        return try DrawingPlan(model: model, gradients: grads, options: options)
    }

    /// The drawing of a plan, laid out by dot, in `format` (svg, dot, png or pdf). Says on
    /// `options.progress` what the plan left out, and about long layouts.
    public static func render(_ plan: DrawingPlan, format: OutputFormat) throws -> [UInt8] {
        try render(try laidOut(plan, format: format), format.rawValue, file: plan.model.file)
    }

    /// The same drawing written straight into an open file descriptor (left open): the
    /// drawing of a large graph is hundreds of megabytes, which then never sit in memory.
    /// Returns the errno of a failed write, nil when all was written.
    public static func render(_ model: Model, _ grads: Gradients, format: OutputFormat, options: RenderOptions,
                              to descriptor: Int32) throws -> Int32? {
        try checkDrawingFormat(format)
        let plan = try plan(model, grads, options: options)
        // The plan goes once the Graphviz graph is built (`layOut`): hundreds of megabytes
        // for a large drawing, which the layout needs.
        let large = plan.nodes.count > DrawingLimits.layeredProgressAbove
        let graph = try laidOut(consume plan, format: format)
        // The 100,000-op SVG is 460 MB, written in 13 s: say how far it is.
        let name = format.rawValue
        let progress = large ? options.progress.map { say in { @Sendable (bytes: Int) in say("wrote \(bytes >> 20) MB of the \(name)…") } } : nil
        do {
            return try graph.render(format: format.rawValue, to: descriptor, progress: progress)
        } catch let error as GraphvizError {
            throw RenderError("\(model.file): Graphviz could not render \(format.rawValue): \(error)")
        }
    }

    /// The plan laid out for `format`, checked to fit it.
    static func laidOut(_ plan: consuming DrawingPlan, format: OutputFormat) throws -> Graphviz.Graph {
        try checkDrawingFormat(format)
        let file = plan.model.file, count = plan.nodes.count, progress = plan.options.progress
        // Raster output at 96 dpi is blurry on today's screens; vector formats keep 72.
        let graph = try layOut(consume plan, dpi: format == .png ? "144" : nil, textShapes: !Graphviz.Graph.formatsDrawnFromSizes.contains(format.rawValue))
        try checkRasterSize(graph, format: format, file: file)
        if count > DrawingLimits.layeredProgressAbove { progress?("writing the \(format.rawValue)…") }
        return graph
    }

    static func checkDrawingFormat(_ format: OutputFormat) throws {
        guard format != .json else { throw RenderError("json is not a drawing format; use ResultJSON") }
        guard format != .html else { throw RenderError("html is the explorer page; use Explorer.page") }
    }

    /// Cairo, which draws PNG and PDF for Graphviz, stops at 32,767 device units a side
    /// and Graphviz then shrinks the whole drawing until it fits, past reading. Refuse
    /// instead, and say what draws it whole.
    static let rasterLimit = 32_767.0

    static func checkRasterSize(_ graph: Graphviz.Graph, format: OutputFormat, file: String) throws {
        guard format == .png || format == .pdf, let box = graph.boundingBox else { return }
        // PNG at 144 dpi: two pixels a point; PDF in points. Graphviz pads by 0.25 inch.
        let scale = format == .png ? 2.0 : 1.0
        let width = (box.width + 36) * scale, height = (box.height + 36) * scale
        guard max(width, height) > rasterLimit else { return }
        let unit = format == .png ? "px" : "pt"
        throw RenderError("\(file): the drawing is \(Int(width.rounded())) × \(Int(height.rounded())) \(unit), more than the "
            + "\(Int(rasterLimit)) \(unit) a side \(format.rawValue.uppercased()) can hold without shrinking it unreadably; "
            + "write .svg instead, or draw a part with --focus ID --depth K")
    }

    /// The plan's Graphviz graph laid out by dot or by the layered layout
    /// (`RenderOptions.Layout`), with the plan's messages and progress messages for a long
    /// layout on `options.progress`. With `auto`, dot lays out what it does within its
    /// budget (`DrawingLimits.dotWork`) and with labels it places itself (up to
    /// `largeLayoutAbove` graph nodes); past either, when dot fails, or when dot's drawing
    /// is one long strip (`stripLength`), the layered layout does, and says so.
    /// `textShapes`: whether the output draws text from Graphviz's shaped text (PNG and PDF,
    /// drawn by cairo); SVG and DOT need the sizes alone (`Graph.keepsTextShapes`).
    /// The plan is consumed once the graph is built: nothing of it is needed after.
    static func layOut(_ plan: consuming DrawingPlan, dpi: String? = nil, textShapes: Bool = false) throws -> Graphviz.Graph {
        let options = plan.options
        let progress = options.progress
        for message in plan.messages { progress?(message) }
        let file = plan.model.file, large = plan.isLargeLayout, graphNodes = plan.model.graph.nodes.count
        let count = plan.nodes.count, edgeCount = plan.edges.count
        if count > DrawingLimits.layeredProgressAbove { progress?("building the Graphviz graph…") }
        let graph = GraphvizEmitter(consume plan, dpi: dpi).emit()
        graph.keepsTextShapes = textShapes
        let start = Date()
        var layered = options.layout == .layered
        if options.layout == .auto && large {
            layered = true
            progress?("\(graphNodes) graph nodes: past \(DrawingLimits.largeLayoutAbove), dot would place the values and "
                + "gradients after its layout, over nodes and other labels; using gradviz's layered layout (--layout dot to insist)")
        } else if options.layout == .auto {
            let (nodes, edges) = graph.edgeEnds()
            let work = LayeredLayout.dotWork(nodeCount: nodes, edges: edges)
            if work > DrawingLimits.dotWork {
                layered = true
                progress?("\(count) nodes and \(edgeCount) edges: more than dot lays out in a second "
                    + "(about \(work) with the ranks its edges cross); using gradviz's layered layout (--layout dot to insist)")
            }
        }
        let verbose = count > DrawingLimits.progressAbove
        if verbose { progress?("laying out \(count) nodes and \(edgeCount) edges with \(layered ? "the layered layout" : "dot")…") }
        let progressLarge = count > DrawingLimits.layeredProgressAbove ? progress : nil
        do {
            if layered {
                try layLayered(graph, rankdir: options.rankdir, progress: progressLarge)
            } else {
                do {
                    try graph.layout(engine: "dot")
                    if options.layout == .auto, let reason = dotDrawingToRedo(graph, rankdir: options.rankdir) {
                        progress?(reason)
                        try layLayered(graph, rankdir: options.rankdir, progress: progressLarge)
                    }
                } catch let error as GraphvizError where options.layout == .auto {
                    progress?("dot failed (\(error)); using gradviz's layered layout")
                    try layLayered(graph, rankdir: options.rankdir, progress: progressLarge)
                }
            }
        } catch let error as GraphvizError {
            throw RenderError("\(file): Graphviz could not lay out the drawing: \(error)")
        }
        if verbose { progress?(String(format: "layout done in %.1f s", Date().timeIntervalSince(start))) }
        return graph
    }

    /// Why `auto` lays dot's drawing out again with the layered layout, in words for
    /// stderr; nil to keep it.
    static func dotDrawingToRedo(_ graph: Graphviz.Graph, rankdir: String) -> String? {
        if let strip = longStrip(graph, rankdir: rankdir) {
            return "dot's drawing is a strip of \(strip): wrapping it into rows with gradviz's layered layout (--layout dot to keep it)"
        }
        if edgeLabelOnClusterLabel(graph) {
            return "dot put an edge's value on a box's title: using gradviz's layered layout, which keeps room for it (--layout dot to keep dot's)"
        }
        return nil
    }

    /// A drawing of dot's that is one long strip along the ranks (an unrolled RNN left to
    /// right), in words ("15,857 × 485 pt"); nil for any other.
    static func longStrip(_ graph: Graphviz.Graph, rankdir: String) -> String? {
        guard let box = graph.boundingBox else { return nil }
        let alongRanks = rankdir == "TB" || rankdir == "BT" ? box.height : box.width
        let across = rankdir == "TB" || rankdir == "BT" ? box.width : box.height
        guard alongRanks > DrawingLimits.stripLength, alongRanks > DrawingLimits.stripAspect * across else { return nil }
        return "\(Int(box.width.rounded())) × \(Int(box.height.rounded())) pt"
    }

    /// Whether an edge's label lies on a cluster's label in dot's drawing: left to right,
    /// dot 2.42 keeps no room under a cluster's label for the label of an edge entering the
    /// cluster (samples/folding/heads4.json folded: "① 3×4 ‖3.864‖" on "head0  ×4 (3 folded)").
    static func edgeLabelOnClusterLabel(_ graph: Graphviz.Graph) -> Bool {
        let (edges, clusters) = graph.labelBoxes()
        // Overlapping by more than a point each way: labels that only touch are fine.
        func overlap(_ a: Box, _ b: Box) -> Bool {
            min(a.upperRight.x, b.upperRight.x) - max(a.lowerLeft.x, b.lowerLeft.x) > 1
                && min(a.upperRight.y, b.upperRight.y) - max(a.lowerLeft.y, b.lowerLeft.y) > 1
        }
        return clusters.contains { c in edges.contains { overlap($0, c) } }
    }

    /// `progress` says what is done between the phases (given for large drawings).
    static func layLayered(_ graph: Graphviz.Graph, rankdir: String, progress: (@Sendable (String) -> Void)?) throws {
        let measurement = try graph.measure()
        progress?("measured the labels; placing…")
        let placement = LayeredLayout.place(measurement, rankdir: rankdir)
        progress?("placed; handing the positions to Graphviz…")
        try graph.place(consume placement, measurement: consume measurement)
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
