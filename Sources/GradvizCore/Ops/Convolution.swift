// 2-D convolution and pooling over [N, C, H, W], as torch.nn.functional.

/// Window geometry shared by convolution and pooling.
struct Window {
    let n: Int, c: Int, h: Int, w: Int
    let kh: Int, kw: Int, sh: Int, sw: Int, ph: Int, pw: Int
    var oh: Int { (h + 2 * ph - kh) / sh + 1 }
    var ow: Int { (w + 2 * pw - kw) / sw + 1 }

    init(_ x: [Int], kernel: (Int, Int), stride: (Int, Int), padding: (Int, Int), op: String) throws(OpError) {
        guard x.count == 4 else { throw OpError("\(op): x must be [N, C, H, W], got \(shapeText(x))") }
        (n, c, h, w) = (x[0], x[1], x[2], x[3])
        (kh, kw) = kernel; (sh, sw) = stride; (ph, pw) = padding
        guard kh > 0, kw > 0 else { throw OpError("\(op): kernel size must be positive, got [\(kh), \(kw)]") }
        guard sh > 0, sw > 0 else { throw OpError("\(op): stride must be positive, got [\(sh), \(sw)]") }
        guard ph >= 0, pw >= 0 else { throw OpError("\(op): padding must be ≥ 0, got [\(ph), \(pw)]") }
        guard h + 2 * ph >= kh, w + 2 * pw >= kw else {
            throw OpError("\(op): kernel [\(kh), \(kw)] is larger than the padded input [\(h + 2 * ph), \(w + 2 * pw)] of x \(shapeText(x))")
        }
    }

    var outShape: [Int] { [n, c, oh, ow] }
}

public struct Conv2d: Op {
    public static let info = OpInfo(name: "conv2d", symbol: "conv", inputs: [InputSpec("x"), InputSpec("w"), InputSpec("b", optional: true)],
        attributes: [AttrSpec("stride", .intOrInts, default: .int(1)), AttrSpec("padding", .intOrInts, default: .int(0), "zero padding")],
        gradient: "dx = conv_transpose(g, w);  dw = Σ_n g ⋆ x (correlation of g with the input patches);  db = Σ g over N, H, W",
        summary: "cross-correlation of x [N, C, H, W] with w [O, C, kh, kw], plus b [O]")
    public let attributes: Attributes
    public init(_ attributes: Attributes) throws(OpError) { self.attributes = attributes }

    func window(_ x: [Int], _ w: [Int]) throws(OpError) -> Window {
        guard w.count == 4 else { throw OpError("conv2d: w must be [O, C, kh, kw], got \(shapeText(w))") }
        let win = try Window(x, kernel: (w[2], w[3]), stride: try attributes.pair("stride"),
                             padding: try attributes.pair("padding"), op: "conv2d")
        guard w[1] == win.c else {
            throw OpError("conv2d: x \(shapeText(x)) has \(win.c) channels, w \(shapeText(w)) expects \(w[1])")
        }
        return win
    }

    public func outputShapes(_ s: [[Int]]) throws(OpError) -> [[Int]] {
        let win = try window(s[0], s[1])
        if s.count > 2, s[2] != [s[1][0]] {
            throw OpError("conv2d: b must have shape [\(s[1][0])] (one per output channel of w \(shapeText(s[1]))), got \(shapeText(s[2]))")
        }
        return [[win.n, s[1][0], win.oh, win.ow]]
    }

    /// Calls body(column offset, image offset) for every in-bounds tap of every window of
    /// image `image`: the column matrix is [C·kh·kw, OH·OW], so the convolution is one
    /// matrix product with the weights. Padded taps are skipped (they read zeros).
    func forEachTap(_ image: Int, _ win: Window, _ body: (Int, Int) -> Void) {
        let l = win.oh * win.ow
        for ch in 0..<win.c {
            let plane = (image * win.c + ch) * win.h * win.w
            for i in 0..<win.kh {
                for j in 0..<win.kw {
                    let row = ((ch * win.kh + i) * win.kw + j) * l
                    for oy in 0..<win.oh {
                        let y = oy * win.sh + i - win.ph
                        if y < 0 || y >= win.h { continue }
                        for ox in 0..<win.ow {
                            let xx = ox * win.sw + j - win.pw
                            if xx >= 0 && xx < win.w { body(row + oy * win.ow + ox, plane + y * win.w + xx) }
                        }
                    }
                }
            }
        }
    }

    /// Unfolds image `image` of x into columns.
    func im2col(_ x: Tensor, _ image: Int, _ win: Window) -> [Double] {
        var cols = [Double](repeating: 0, count: win.c * win.kh * win.kw * win.oh * win.ow)
        x.data.withUnsafeBufferPointer { src in
            cols.withUnsafeMutableBufferPointer { dst in forEachTap(image, win) { col, at in dst[col] = src[at] } }
        }
        return cols
    }

    /// The adjoint of im2col: adds columns back into image `image` of dx.
    func col2im(_ cols: [Double], _ dx: inout [Double], _ image: Int, _ win: Window) {
        cols.withUnsafeBufferPointer { src in
            dx.withUnsafeMutableBufferPointer { dst in forEachTap(image, win) { col, at in dst[at] += src[col] } }
        }
    }

    public func forward(_ x: [Tensor]) throws(OpError) -> [Tensor] {
        let win = try window(x[0].shape, x[1].shape)
        let o = x[1].shape[0], k = win.c * win.kh * win.kw, l = win.oh * win.ow
        var out = [Double](repeating: 0, count: win.n * o * l)
        for image in 0..<win.n {
            let cols = im2col(x[0], image, win)
            if x.count > 2 {
                for oc in 0..<o { for p in 0..<l { out[(image * o + oc) * l + p] = x[2].data[oc] } }
            }
            gemm(x[1].data, 0, cols, 0, &out, image * o * l, o, k, l)
        }
        return [Tensor(shape: [win.n, o, win.oh, win.ow], data: out)]
    }

    public func vjp(_ c: VJPContext) -> [Tensor?] {
        let win = try! window(c[0].shape, c[1].shape)
        let o = c[1].shape[0], k = win.c * win.kh * win.kw, l = win.oh * win.ow
        let g = c.g.data
        var dx: [Double]? = c.needs(0) ? [Double](repeating: 0, count: c[0].count) : nil
        var dw: [Double]? = c.needs(1) ? [Double](repeating: 0, count: c[1].count) : nil
        for image in 0..<win.n {
            if dw != nil { gemmNT(g, image * o * l, im2col(c[0], image, win), 0, &dw!, 0, o, l, k) }
            if dx != nil {
                var dcols = [Double](repeating: 0, count: k * l)
                gemmTN(c[1].data, 0, g, image * o * l, &dcols, 0, k, o, l)
                col2im(dcols, &dx!, image, win)
            }
        }
        var out: [Tensor?] = [dx.map { Tensor(shape: c[0].shape, data: $0) }, dw.map { Tensor(shape: c[1].shape, data: $0) }]
        if c.inputs.count > 2 {
            out.append(c.needs(2) ? c.g.sum(toShape: [1, o, 1, 1]).reshaped([o]) : nil)
        }
        return out
    }
}

private let poolAttributes = [
    AttrSpec("kernel_size", .intOrInts, default: nil, "window size, an int or [h, w]"),
    AttrSpec("stride", .intOrInts, default: .null, "default: kernel_size"),
    AttrSpec("padding", .intOrInts, default: .int(0)),
]

/// Attribute handling and windows shared by the two poolings.
protocol Pooling: Op {}

extension Pooling {
    func window(_ x: [Int]) throws(OpError) -> Window {
        let kernel = try attributes.pair("kernel_size")
        let stride = attributes["stride"] == .null ? kernel : try attributes.pair("stride")
        let padding = try attributes.pair("padding")
        let win = try Window(x, kernel: kernel, stride: stride, padding: padding, op: name)
        guard padding.0 * 2 <= kernel.0, padding.1 * 2 <= kernel.1 else {
            throw OpError("\(name): padding [\(padding.0), \(padding.1)] must be at most half of kernel_size [\(kernel.0), \(kernel.1)]")
        }
        return win
    }
    public func outputShapes(_ s: [[Int]]) throws(OpError) -> [[Int]] { [try window(s[0]).outShape] }

    /// Calls body(output offset, input offsets of the window's in-bounds positions).
    func forEachWindow(_ win: Window, _ body: (Int, [Int]) -> Void) {
        var taps: [Int] = []
        taps.reserveCapacity(win.kh * win.kw)
        var out = 0
        for plane in 0..<(win.n * win.c) {
            let base = plane * win.h * win.w
            for oy in 0..<win.oh {
                for ox in 0..<win.ow {
                    taps.removeAll(keepingCapacity: true)
                    for i in 0..<win.kh {
                        let y = oy * win.sh + i - win.ph
                        if y < 0 || y >= win.h { continue }
                        for j in 0..<win.kw {
                            let x = ox * win.sw + j - win.pw
                            if x >= 0 && x < win.w { taps.append(base + y * win.w + x) }
                        }
                    }
                    body(out, taps)
                    out += 1
                }
            }
        }
    }
}

public struct MaxPool2d: Pooling {
    public static let info = OpInfo(name: "max_pool2d", symbol: "maxpool", inputs: [InputSpec("x")], attributes: poolAttributes,
        gradient: "dx = g routed to the first maximum of each window (the last NaN if any, as PyTorch)",
        summary: "maximum over windows of x [N, C, H, W]; padding counts as -inf")
    public let attributes: Attributes
    public init(_ attributes: Attributes) throws(OpError) { self.attributes = attributes }

    /// The input offset chosen in each window, as PyTorch's kernel scans it: the last NaN,
    /// else the first maximum; a window of -inf picks its first in-bounds element.
    func argmax(_ x: Tensor, _ win: Window) -> [Int] {
        var chosen = [Int](repeating: 0, count: Tensor.count(of: win.outShape))
        forEachWindow(win) { out, taps in
            var best = taps[0], m = -Double.infinity
            for t in taps where x.data[t] > m || x.data[t].isNaN {
                best = t
                m = x.data[t]
            }
            chosen[out] = best
        }
        return chosen
    }
    public func forward(_ x: [Tensor]) throws(OpError) -> [Tensor] {
        let win = try window(x[0].shape)
        return [Tensor(shape: win.outShape, data: argmax(x[0], win).map { x[0].data[$0] })]
    }
    public func vjp(_ c: VJPContext) -> [Tensor?] {
        let win = try! window(c[0].shape)
        var dx = [Double](repeating: 0, count: c[0].count)
        for (out, at) in argmax(c[0], win).enumerated() { dx[at] += c.g.data[out] }
        return [Tensor(shape: c[0].shape, data: dx)]
    }
}

public struct AvgPool2d: Pooling {
    public static let info = OpInfo(name: "avg_pool2d", symbol: "avgpool", inputs: [InputSpec("x")], attributes: poolAttributes,
        gradient: "dx = g / (kh·kw) spread over each window", summary: "mean over windows of x [N, C, H, W]; padded zeros count in the divisor")
    public let attributes: Attributes
    public init(_ attributes: Attributes) throws(OpError) { self.attributes = attributes }
    public func forward(_ x: [Tensor]) throws(OpError) -> [Tensor] {
        let win = try window(x[0].shape)
        let divisor = Double(win.kh * win.kw)
        var out = [Double](repeating: 0, count: Tensor.count(of: win.outShape))
        forEachWindow(win) { o, taps in out[o] = taps.reduce(0) { $0 + x[0].data[$1] } / divisor }
        return [Tensor(shape: win.outShape, data: out)]
    }
    public func vjp(_ c: VJPContext) -> [Tensor?] {
        let win = try! window(c[0].shape)
        let divisor = Double(win.kh * win.kw)
        var dx = [Double](repeating: 0, count: c[0].count)
        forEachWindow(win) { o, taps in for t in taps { dx[t] += c.g.data[o] / divisor } }
        return [Tensor(shape: c[0].shape, data: dx)]
    }
}
