/// The text of a non-empty tensor as JSONWriter writes it (nested arrays, innermost on one
/// line), described element by element: the opening brackets, then each number with what
/// comes between it and the one before, then the closing brackets. What comes between
/// elements i-1 and i depends only on i, so any range of elements can be formatted on its
/// own, and ranges formatted apart (on two threads) concatenate to the same bytes.
///
/// The layout is the one `beginArray`/`value`/`endArray` give: between two numbers of a
/// row ", " (pretty) or ","; where rows meet, the arrays that end are closed and those that
/// begin opened, each array above the rows putting its elements on lines of their own
/// (pretty style, outside a single-line container) indented two spaces per level.
struct TensorText {
    /// `size[level]`: the elements in one array of that level (`size[0]` the whole tensor,
    /// the last one a row).
    private let size: [Int]
    private let pretty: Bool
    /// Arrays above the rows break lines (pretty style, not inside a single-line container).
    private let breaks: Bool
    /// The open containers around the tensor (the writer's depth): its indentation.
    private let depth: Int
    /// The most bytes `gap` writes; with a number's, what a position must have room for.
    let maxGap: Int
    var count: Int { size[0] }
    var rowLength: Int { size[size.count - 1] }

    init(shape: [Int], pretty: Bool, singleLine: Bool, depth: Int) {
        precondition(!shape.isEmpty && shape.allSatisfy { $0 > 0 }, "TensorText needs a non-empty tensor")
        var size = shape
        for level in stride(from: shape.count - 2, through: 0, by: -1) { size[level] = shape[level] * size[level + 1] }
        self.size = size
        self.pretty = pretty
        breaks = pretty && !singleLine
        self.depth = depth
        // Every level closed, a comma and its line break, every level opened.
        let line = 1 + 2 * (depth + shape.count)
        maxGap = (2 * shape.count + 1) * (line + 1)
    }

    /// What comes before the first element: every level opened.
    func opening(into out: UnsafeMutablePointer<UInt8>) -> Int {
        open(levels: 0, into: out)
    }

    /// What comes after the last element: every level closed.
    func closing(into out: UnsafeMutablePointer<UInt8>) -> Int {
        close(downTo: 0, into: out)
    }

    /// Formats elements `range` of `data` (the separators before them included, the opening
    /// and closing not) at `out`, as far as `capacity` bytes leave room for a gap and a
    /// number: returns the element it stopped before and the bytes written.
    func format(_ data: UnsafeBufferPointer<Double>, _ range: Range<Int>, into out: UnsafeMutablePointer<UInt8>,
                capacity: Int) -> (next: Int, written: Int) {
        let end = out + capacity, room = maxGap + JSONWriter.maxNumberLength
        let rowLength = self.rowLength
        var at = out
        var i = range.lowerBound
        var column = i % rowLength
        while i < range.upperBound && end - at >= room {
            if column != 0 {
                at[0] = UInt8(ascii: ",")
                if pretty {
                    at[1] = UInt8(ascii: " ")
                    at += 2
                } else {
                    at += 1
                }
            } else if i > 0 {
                at += gap(before: i, into: at)
            }
            at += JSONWriter.formatNumber(data[i], into: at)
            i += 1
            column += 1
            if column == rowLength { column = 0 }
        }
        return (i, at - out)
    }

    /// The most bytes `format` writes for `count` elements (with room to spare at the end).
    func bound(elements count: Int) -> Int {
        let perNumber = 2 + JSONWriter.maxNumberLength
        return count * perNumber + (count / rowLength + 2) * maxGap + maxGap + JSONWriter.maxNumberLength
    }

    /// Between the last element of a row and element `i`, the first of the next: the arrays
    /// that end at `i` closed, a comma in the array that goes on, the arrays that start
    /// opened.
    private func gap(before i: Int, into out: UnsafeMutablePointer<UInt8>) -> Int {
        // The outermost level that starts anew at i (0 < i < count, so not level 0).
        var level = size.count - 1
        while level > 1 && i % size[level - 1] == 0 { level -= 1 }
        var at = out + close(downTo: level, into: out)
        at[0] = UInt8(ascii: ",")
        at += 1
        at += separator(inside: level - 1, into: at)
        return at - out + open(levels: level, into: at)
    }

    /// Opens the arrays of levels `first` and deeper, each with what precedes its first element.
    private func open(levels first: Int, into out: UnsafeMutablePointer<UInt8>) -> Int {
        var at = out
        for level in first..<size.count {
            at[0] = UInt8(ascii: "[")
            at += 1
            if level < size.count - 1 { at += separator(inside: level, into: at, first: true) }
        }
        return at - out
    }

    /// Closes the arrays of the deepest level up to level `last`.
    private func close(downTo last: Int, into out: UnsafeMutablePointer<UInt8>) -> Int {
        var at = out
        for level in stride(from: size.count - 1, through: last, by: -1) {
            if level < size.count - 1 && breaks { at += TensorText.newline(indent: depth + level, into: at) }
            at[0] = UInt8(ascii: "]")
            at += 1
        }
        return at - out
    }

    /// What goes before an element of an array of `level` above the rows (after its comma).
    private func separator(inside level: Int, into out: UnsafeMutablePointer<UInt8>, first: Bool = false) -> Int {
        if breaks { return TensorText.newline(indent: depth + level + 1, into: out) }
        if pretty && !first {
            out[0] = UInt8(ascii: " ")
            return 1
        }
        return 0
    }

    /// A line break and `indent` levels of two spaces at `out`; returns how many bytes.
    static func newline(indent: Int, into out: UnsafeMutablePointer<UInt8>) -> Int {
        out[0] = UInt8(ascii: "\n")
        (out + 1).initialize(repeating: UInt8(ascii: " "), count: 2 * indent)
        return 1 + 2 * indent
    }
}
