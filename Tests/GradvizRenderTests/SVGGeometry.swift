import Foundation

/// What a drawing's SVG itself says about where things are: node shapes, edge arrowheads,
/// label text and cluster boxes, in SVG user units (y down). Graphviz writes one element
/// per line, each node, edge and cluster in a `<g class="node|edge|cluster ...">`.
struct SVGGeometry {
    struct Rect {
        var x0, y0, x1, y1: Double
        var center: (x: Double, y: Double) { ((x0 + x1) / 2, (y0 + y1) / 2) }

        /// Overlap by more than `tolerance` in both directions.
        func overlaps(_ o: Rect, tolerance: Double = 0.5) -> Bool {
            min(x1, o.x1) - max(x0, o.x0) > tolerance && min(y1, o.y1) - max(y0, o.y0) > tolerance
        }

        func contains(_ o: Rect, tolerance: Double = 0.5) -> Bool {
            o.x0 >= x0 - tolerance && o.x1 <= x1 + tolerance && o.y0 >= y0 - tolerance && o.y1 <= y1 + tolerance
        }
    }

    struct Object {
        var kind: String
        var classes: [String]
        var title = ""
        /// The first shape (a node's box, a cluster's frame, an edge's spline).
        var shape: Rect?
        /// An edge's arrowheads.
        var arrows: [Rect] = []
        /// One box per line of text.
        var texts: [(text: String, rect: Rect)] = []
    }

    var nodes: [String: Object] = [:]
    var nodeOrder: [String] = []
    var edges: [Object] = []
    var clusters: [Object] = []

    init(_ svg: String) {
        var current: Object?
        func finish() {
            guard let o = current else { return }
            switch o.kind {
            case "node": nodes[o.title] = o; nodeOrder.append(o.title)
            case "edge": edges.append(o)
            default: clusters.append(o)
            }
            current = nil
        }
        for line in svg.split(separator: "\n") {
            if line.hasPrefix("<g id=\""), let cls = SVGGeometry.attribute("class", in: line) {
                let classes = SVGGeometry.unescape(cls).split(separator: " ").map(String.init)
                if let kind = classes.first, ["node", "edge", "cluster"].contains(kind) {
                    finish()
                    current = Object(kind: kind, classes: classes)
                }
                continue
            }
            guard current != nil else { continue }
            if line.hasPrefix("<title>") {
                current!.title = SVGGeometry.unescape(String(line.dropFirst(7).prefix { $0 != "<" }))
            } else if line.hasPrefix("<path") || line.hasPrefix("<polygon") || line.hasPrefix("<ellipse") {
                guard let r = SVGGeometry.shapeRect(line) else { continue }
                if current!.shape == nil { current!.shape = r } else if line.hasPrefix("<polygon") && current!.kind == "edge" { current!.arrows.append(r) }
            } else if line.hasPrefix("<text"), let r = SVGGeometry.textRect(line) {
                current!.texts.append(r)
            }
        }
        finish()
    }

    /// Every label line of every edge and node (node text inside its own box is not a label).
    var edgeLabels: [(owner: Int, text: String, rect: Rect)] {
        edges.enumerated().flatMap { i, e in e.texts.map { (i, $0.text, $0.rect) } }
    }

    static func attribute(_ name: String, in line: Substring) -> String? {
        guard let r = line.range(of: " \(name)=\"") else { return nil }
        return String(line[r.upperBound...].prefix { $0 != "\"" })
    }

    static func numbers(_ text: String) -> [Double] {
        var out: [Double] = []
        var current = ""
        for c in text {
            if c.isNumber || c == "." || (c == "-" && current.isEmpty) { current.append(c) } else {
                if let d = Double(current) { out.append(d) }
                current = c == "-" ? "-" : ""
            }
        }
        if let d = Double(current) { out.append(d) }
        return out
    }

    static func shapeRect(_ line: Substring) -> Rect? {
        var values: [Double]
        if let p = attribute("points", in: line) { values = numbers(p) }
        else if let d = attribute("d", in: line) { values = numbers(d) }
        else if let cx = attribute("cx", in: line).flatMap(Double.init), let cy = attribute("cy", in: line).flatMap(Double.init),
                let rx = attribute("rx", in: line).flatMap(Double.init), let ry = attribute("ry", in: line).flatMap(Double.init) {
            return Rect(x0: cx - rx, y0: cy - ry, x1: cx + rx, y1: cy + ry)
        } else { return nil }
        guard values.count >= 2 else { return nil }
        var r = Rect(x0: .infinity, y0: .infinity, x1: -.infinity, y1: -.infinity)
        for k in stride(from: 0, to: values.count - 1, by: 2) {
            r.x0 = min(r.x0, values[k]); r.x1 = max(r.x1, values[k])
            r.y0 = min(r.y0, values[k + 1]); r.y1 = max(r.y1, values[k + 1])
        }
        return r
    }

    /// A text line's box, its width estimated low (0.45 em a character; DejaVu Sans
    /// averages above 0.55), so an overlap found is a real one.
    static func textRect(_ line: Substring) -> (String, Rect)? {
        guard let x = attribute("x", in: line).flatMap(Double.init), let y = attribute("y", in: line).flatMap(Double.init),
              let size = attribute("font-size", in: line).flatMap(Double.init) else { return nil }
        guard let open = line.firstIndex(of: ">"), let close = line.range(of: "</text>", options: .backwards) else { return nil }
        let text = unescape(String(line[line.index(after: open)..<close.lowerBound]))
        let visible = text.trimmingCharacters(in: .whitespaces)
        guard !visible.isEmpty else { return nil }
        let width = Double(visible.count) * size * 0.45
        let anchor = attribute("text-anchor", in: line) ?? "start"
        let x0 = anchor == "middle" ? x - width / 2 : anchor == "end" ? x - width : x
        return (visible, Rect(x0: x0, y0: y - 0.7 * size, x1: x0 + width, y1: y + 0.15 * size))
    }

    static func unescape(_ s: String) -> String {
        var t = s
        for (a, b) in [("&#45;", "-"), ("&gt;", ">"), ("&lt;", "<"), ("&quot;", "\""), ("&#160;", " "), ("&#39;", "'"), ("&amp;", "&")] {
            t = t.replacingOccurrences(of: a, with: b)
        }
        return t
    }
}
