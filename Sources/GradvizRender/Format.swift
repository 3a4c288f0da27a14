import Foundation
import GradvizCore

/// Number and tensor text for labels and tooltips, with a fixed number of significant
/// digits. Pure functions of their input: the same tensor always gives the same text.
struct NumberFormat {
    var precision: Int

    func number(_ d: Double) -> String {
        if d.isNaN { return "NaN" }
        if d.isInfinite { return d > 0 ? "+Inf" : "-Inf" }
        if d == 0 { return "0" }
        var s = String(format: "%.*g", max(1, min(17, precision)), d)
        // "1e+06" reads better as "1e6"; "1e-07" as "1e-7".
        if let e = s.firstIndex(of: "e") {
            let mantissa = s[..<e]
            var exponent = String(s[s.index(after: e)...])
            var sign = ""
            if exponent.hasPrefix("+") { exponent.removeFirst() } else if exponent.hasPrefix("-") { sign = "-"; exponent.removeFirst() }
            while exponent.hasPrefix("0") && exponent.count > 1 { exponent.removeFirst() }
            s = mantissa + "e" + sign + exponent
        }
        return s
    }

    static func shape(_ shape: [Int]) -> String {
        shape.isEmpty ? "scalar" : shape.map(String.init).joined(separator: "×")
    }

    /// Counts of non-finite elements, e.g. "⚠ 2 NaN, 1 +Inf"; nil when all are finite.
    func nonFinite(_ t: Tensor) -> String? {
        var nan = 0, pos = 0, neg = 0
        for x in t.data where !x.isFinite {
            if x.isNaN { nan += 1 } else if x > 0 { pos += 1 } else { neg += 1 }
        }
        guard nan + pos + neg > 0 else { return nil }
        var parts: [String] = []
        if nan > 0 { parts.append("\(nan) NaN") }
        if pos > 0 { parts.append("\(pos) +Inf") }
        if neg > 0 { parts.append("\(neg) -Inf") }
        return "⚠ " + parts.joined(separator: ", ")
    }

    static func norm(_ t: Tensor) -> Double {
        var s = 0.0
        for x in t.data { s += x * x }
        return s.squareRoot()
    }

    /// What a label or the explorer says of a large tensor: min, mean and max of its finite
    /// elements (nil when none is finite; on a tie such as -0.0 and 0.0 the first one), the
    /// norm of all of them.
    struct Statistics {
        var finiteCount = 0
        var min = Double.nan, mean = Double.nan, max = Double.nan
        var norm = 0.0

        init(_ t: Tensor) {
            var lo = Double.infinity, hi = -Double.infinity, sum = 0.0, squares = 0.0
            for x in t.data {
                squares += x * x
                guard x.isFinite else { continue }
                if finiteCount == 0 || x < lo { lo = x }
                if finiteCount == 0 || x > hi { hi = x }
                sum += x
                finiteCount += 1
            }
            norm = squares.squareRoot()
            if finiteCount > 0 { min = lo; mean = sum / Double(finiteCount); max = hi }
        }
    }

    /// Short text for an edge label: the number for a scalar, the first values of a small
    /// tensor, statistics of a large one. Lines are separated by "\n".
    func preview(_ t: Tensor) -> String {
        if t.count == 1 && t.shape.allSatisfy({ $0 == 1 }) {
            let v = number(t.data[0])
            return t.isScalar ? v : "\(NumberFormat.shape(t.shape)) [\(v)]"
        }
        var lines: [String] = []
        if t.count <= 4 {
            lines.append("\(NumberFormat.shape(t.shape)) [" + t.data.map(number).joined(separator: ", ") + "]")
        } else {
            let stats = Statistics(t)
            lines.append("\(NumberFormat.shape(t.shape)) [" + t.data.prefix(3).map(number).joined(separator: ", ") + ", …]")
            if stats.finiteCount > 0 {
                lines.append("min \(number(stats.min)) μ \(number(stats.mean)) max \(number(stats.max))")
            }
            lines.append("‖·‖ \(number(stats.norm))")
        }
        if let bad = nonFinite(t) { lines.append(bad) }
        return lines.joined(separator: "\n")
    }

    /// One line for an edge label: the number of a scalar, the values of a tiny tensor,
    /// shape and norm of a larger one (the node and the tooltip hold the rest).
    func compact(_ t: Tensor) -> String {
        if t.isScalar { return number(t.data[0]) }
        var text: String
        if t.count <= 3 {
            text = (t.rank > 1 ? NumberFormat.shape(t.shape) + " " : "") + "[" + t.data.map(number).joined(separator: ", ") + "]"
        } else {
            text = "\(NumberFormat.shape(t.shape)) ‖\(number(NumberFormat.norm(t)))‖"
        }
        if let bad = nonFinite(t) { text += " " + bad }
        return text
    }

    /// A one-line summary of a tensor for the Σ equation: the number, or the norm.
    func term(_ t: Tensor) -> String {
        t.count == 1 ? number(t.data[0]) : "‖\(number(NumberFormat.norm(t)))‖"
    }

    /// Every value (up to `limit`), rows on lines, for a tooltip.
    func full(_ t: Tensor, limit: Int = 256) -> String {
        if t.isScalar { return number(t.data[0]) }
        let shown = t.data.prefix(limit)
        var text = "shape \(NumberFormat.shape(t.shape))\n"
        let columns = t.shape.last ?? 1
        var line: [String] = []
        for (i, x) in shown.enumerated() {
            line.append(number(x))
            if (i + 1) % max(columns, 1) == 0 || i == shown.count - 1 {
                text += line.joined(separator: " ") + "\n"
                line = []
            }
        }
        if t.count > limit { text += "… \(t.count - limit) more\n" }
        if let bad = nonFinite(t) { text += bad + "\n" }
        return String(text.dropLast())
    }
}
