import CGraphviz
import CGraphvizShim
import Foundation
import UserText

/// A point in Graphviz layout coordinates: points (1/72 inch), y growing upwards.
public struct Point: Hashable, Sendable {
    public var x: Double
    public var y: Double

    public init(x: Double, y: Double) {
        self.x = x
        self.y = y
    }
}

public struct Box: Hashable, Sendable {
    public var lowerLeft: Point
    public var upperRight: Point

    public init(lowerLeft: Point, upperRight: Point) {
        self.lowerLeft = lowerLeft
        self.upperRight = upperRight
    }

    /// The box of that size around `center`.
    public init(center: Point, width: Double, height: Double) {
        self.init(lowerLeft: Point(x: center.x - width / 2, y: center.y - height / 2),
                  upperRight: Point(x: center.x + width / 2, y: center.y + height / 2))
    }

    public var width: Double { upperRight.x - lowerLeft.x }
    public var height: Double { upperRight.y - lowerLeft.y }
}

extension Graph {
    /// Lays the graph out, replacing any previous layout. Throws when Graphviz reports an
    /// error, even if it went on with a fallback (it draws a malformed HTML-like label as
    /// the node's name and reports success).
    ///
    /// Graphviz 2.42 hangs in `nop2` (`neato -n2`) with `splines=true` on parallel edges
    /// with ports: avoid that combination.
    public func layout(engine: String = "dot") throws {
        try Runtime.shared.locked {
            try layoutLocked(engine: engine)
            requestedEngine = engine
        }
    }

    func layoutLocked(engine: String, keepingTextShapes: Bool? = nil) throws {
        let context = try Runtime.shared.contextLocked()
        guard Runtime.shared.layoutEngines.contains(engine) else {
            throw GraphvizError.unknownLayoutEngine(engine, available: Runtime.shared.layoutEngines)
        }
        if let value = withCString("concentrate", { agget(root, $0) }).map({ String(cString: $0) }),
           isTrue(value) {
            throw GraphvizError.unsafeAttribute(
                name: "concentrate", value: value,
                reason: "it crashes Graphviz 2.42 on graphs with opposite edges and merges an edge with its dir=back twin")
        }
        freeLayoutLocked()
        gvshim_errors_reset()
        let shapes = (keepingTextShapes ?? keepsTextShapesValue) || !Runtime.shared.canDropTextShapes
        gvshim_text_shapes_keep(shapes ? 1 : 0)
        gvshim_stderr_hold()
        let rc = Runtime.onLargeStack { gvLayout(context, root, engine) }
        gvshim_stderr_release()
        gvshim_text_shapes_keep(1)
        layoutHasTextShapes = shapes
        let messages = String(cString: gvshim_errors_text())
        if rc != 0 || gvshim_errors_seen_error() != 0 {
            // A layout that reported an error may still be half built; drop it.
            gvFreeLayout(context, root)
            throw GraphvizError.layoutFailed(engine: engine, message: oneLine(messages))
        }
        layoutEngine = engine
        lastWarnings = messages
    }

    /// Renders the current layout. Without one (never laid out, or nodes, edges or
    /// subgraphs were added since) it first lays out with the engine last passed to
    /// `layout`, dot by default. Formats are Graphviz's: "svg", "png", "pdf", "dot" (the
    /// graph with its layout as attributes), "plain", "canon", ...
    public func render(format: String) throws -> [UInt8] {
        try renderLocked(format: format) { context, format in
            var data: UnsafeMutablePointer<CChar>?
            var length = 0
            let rc = Runtime.onLargeStack { gvshim_render_data(context, root, format, &data, &length) }
            let bytes = data.map { [UInt8](UnsafeRawBufferPointer(start: $0, count: length)) }
            if let data { gvFreeRenderData(data) }
            return (rc, bytes ?? [])
        }
    }

    /// Renders like `render(format:)`, straight into an open file descriptor (left open):
    /// a drawing of a large graph is hundreds of megabytes, which then never sit in memory
    /// twice (Graphviz's buffer and its copy). Returns the errno of a failed write (a full
    /// disk, a closed pipe), nil when everything was written; throws what Graphviz reports.
    /// `progress`, if given, is told the bytes written so far each time another
    /// `reportEvery` bytes are out (from the thread Graphviz renders on).
    public func render(format: String, to descriptor: Int32, reportEvery: Int = 100 << 20,
                       progress: (@Sendable (Int) -> Void)? = nil) throws -> Int32? {
        let report = progress.map(WriteProgress.init)
        return try renderLocked(format: format) { context, format in
            var failure: Int32 = 0
            let rc = Runtime.onLargeStack {
                guard let report else { return gvshim_render_fd(context, root, format, descriptor, &failure, 0, nil, nil) }
                return withExtendedLifetime(report) {
                    gvshim_render_fd(context, root, format, descriptor, &failure, max(1, reportEvery),
                                     { written, box in Unmanaged<WriteProgress>.fromOpaque(box!).takeUnretainedValue().report(written) },
                                     Unmanaged.passUnretained(report).toOpaque())
                }
            }
            return (rc, failure == 0 ? nil : failure)
        }
    }

    /// Formats whose writers draw text from its sizes alone (Graphviz's core writers), so
    /// they need no text shapes (`keepsTextShapes`). Any other, or a format naming its
    /// renderer ("svg:cairo"), may draw with cairo.
    public static let formatsDrawnFromSizes: Set<String> = [
        "svg", "dot", "gv", "xdot", "canon", "plain", "plain-ext", "json", "json0", "dot_json", "xdot_json",
    ]

    private func renderLocked<T>(format: String, _ body: (OpaquePointer, String) -> (Int32, T)) throws -> T {
        try Runtime.shared.locked {
            let context = try Runtime.shared.contextLocked()
            // "svg:cairo" names a renderer for the format; the format is what comes first.
            let base = String(format.prefix { $0 != ":" })
            guard Runtime.shared.formats.contains(base) else {
                throw GraphvizError.unknownFormat(format, available: Runtime.shared.formats)
            }
            let needsShapes = !Graph.formatsDrawnFromSizes.contains(format)
            if let engine = layoutEngine, needsShapes, !layoutHasTextShapes {
                try layoutLocked(engine: engine, keepingTextShapes: true)
            }
            if layoutEngine == nil { try layoutLocked(engine: requestedEngine, keepingTextShapes: needsShapes ? true : nil) }
            gvshim_errors_reset()
            gvshim_stderr_hold()
            let (rc, result) = body(context, format)
            gvshim_stderr_release()
            let messages = String(cString: gvshim_errors_text())
            guard rc == 0, gvshim_errors_seen_error() == 0 else {
                throw GraphvizError.renderFailed(format: format, message: oneLine(messages))
            }
            lastWarnings = messages
            return result
        }
    }
}

extension Node {
    /// The node's center after a layout; nil without one.
    public var position: Point? { boundingBox.map { Point(x: ($0.lowerLeft.x + $0.upperRight.x) / 2, y: ($0.lowerLeft.y + $0.upperRight.y) / 2) } }

    /// The node's box after a layout; nil without one.
    public var boundingBox: Box? {
        Runtime.shared.locked {
            guard handle.graph.layoutEngine != nil else { return nil }
            var x = 0.0, y = 0.0, width = 0.0, height = 0.0
            guard gvshim_node_center(pointer, &x, &y) != 0, gvshim_node_size(pointer, &width, &height) != 0 else { return nil }
            return Box(center: Point(x: x, y: y), width: width, height: height)
        }
    }
}

extension Graph {
    /// After a layout, the boxes of the edges' labels (`label`, not `xlabel`) and of the
    /// clusters' labels, in creation order; empty without a layout.
    public func labelBoxes() -> (edges: [Box], clusters: [Box]) {
        Runtime.shared.locked {
            guard layoutEngine != nil else { return ([], []) }
            var x = 0.0, y = 0.0, w = 0.0, h = 0.0
            var edges: [Box] = [], clusters: [Box] = []
            forEachEdgeLocked { e in
                if gvshim_edge_label_box(e, &x, &y, &w, &h) != 0 { edges.append(Box(center: Point(x: x, y: y), width: w, height: h)) }
            }
            forEachClusterLocked(below: root) { c in
                if gvshim_graph_label_box(c, &x, &y, &w, &h) != 0 { clusters.append(Box(center: Point(x: x, y: y), width: w, height: h)) }
            }
            return (edges, clusters)
        }
    }
}

extension NodeContainer {
    /// The drawing's box for the root graph, the cluster's box for a cluster, after a
    /// layout; nil without one.
    public var boundingBox: Box? {
        Runtime.shared.locked {
            guard handle.graph.layoutEngine != nil else { return nil }
            var llx = 0.0, lly = 0.0, urx = 0.0, ury = 0.0
            guard gvshim_graph_bounds(graphPointer, &llx, &lly, &urx, &ury) != 0 else { return nil }
            return Box(lowerLeft: Point(x: llx, y: lly), upperRight: Point(x: urx, y: ury))
        }
    }
}

/// A progress callback handed to C as a context pointer.
private final class WriteProgress: @unchecked Sendable {
    let report: @Sendable (Int) -> Void
    init(_ report: @escaping @Sendable (Int) -> Void) { self.report = report }
}

/// Graphviz's reading of a boolean attribute.
private func isTrue(_ value: String) -> Bool {
    let value = value.lowercased()
    return value == "true" || value == "yes" || (Int(value).map { $0 != 0 } ?? false)
}

/// Graphviz's messages as one line for an error: it reports in several lines (the error,
/// the text around it, the object), which would read as several messages, and quotes the
/// drawing's own text, which may hold anything. Long reports are cut.
func oneLine(_ text: String, limit: Int = 400) -> String {
    var line = text.split(whereSeparator: \.isNewline)
        .map { $0.trimmingCharacters(in: .whitespaces) }
        .filter { !$0.isEmpty }
        .map { $0.hasPrefix("Error: ") ? String($0.dropFirst(7)) : $0 }
        .joined(separator: " ")
    line = visibleText(line)
    if line.count > limit { line = String(line.prefix(limit)) + " …" }
    return line
}
