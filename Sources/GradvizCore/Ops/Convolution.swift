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

    public func forward(_ x: [Tensor]) throws(OpError) -> [Tensor] {
        let win = try window(x[0].shape, x[1].shape)
        let o = x[1].shape[0], k = win.c * win.kh * win.kw, l = win.oh * win.ow
        let hasBias = x.count > 2
        let out = [Double](writing: win.n * o * l) { out in
            x[0].data.withUnsafeBufferPointer { X in
                x[1].data.withUnsafeBufferPointer { W in
                    win.withColumns(X.baseAddress!) { cols, image in
                        // out[image] = (bias) + w [O, K] @ cols [K, L], as PyTorch: bias first.
                        let dst = out + image * o * l
                        if hasBias {
                            for oc in 0..<o { (dst + oc * l).update(repeating: x[2].data[oc], count: l) }
                        }
                        BLAS.gemm(m: o, n: l, k: k, W.baseAddress!, lda: k, cols, ldb: l,
                                  beta: hasBias ? 1 : 0, dst, ldc: l)
                    }
                }
            }
        }
        return [Tensor(shape: [win.n, o, win.oh, win.ow], data: out)]
    }

    /// Per image: dw += g [O, L] @ colsᵀ [L, K]; dcols = wᵀ [K, O] @ g [O, L], folded back
    /// into dx (col2im). Both use the one column buffer in turn.
    public func vjp(_ c: VJPContext) -> [Tensor?] {
        let win = try! window(c[0].shape, c[1].shape)
        let o = c[1].shape[0], k = win.c * win.kh * win.kw, l = win.oh * win.ow
        let needX = c.needs(0), needW = c.needs(1)
        var dx = needX ? [Double](repeating: 0, count: c[0].count) : []
        var dw = needW ? [Double](repeating: 0, count: c[1].count) : []
        c[0].data.withUnsafeBufferPointer { X in
            c[1].data.withUnsafeBufferPointer { W in
                c.g.data.withUnsafeBufferPointer { G in
                    dx.withUnsafeMutableBufferPointer { DX in
                        dw.withUnsafeMutableBufferPointer { DW in
                            let x = X.baseAddress!, w = W.baseAddress!
                            for image in 0..<win.n {
                                let g = G.baseAddress! + image * o * l
                                if needW {
                                    win.withColumns(x, image: image) { cols in
                                        BLAS.gemm(transB: true, m: o, n: k, k: l, g, lda: l, cols, ldb: l,
                                                  beta: image == 0 ? 0 : 1, DW.baseAddress!, ldc: k)
                                    }
                                }
                                if needX {
                                    let dxImage = DX.baseAddress! + image * win.c * win.h * win.w
                                    if win.isPointwise {
                                        BLAS.gemm(transA: true, m: k, n: l, k: o, w, lda: k, g, ldb: l, beta: 0, dxImage, ldc: l)
                                    } else {
                                        ScratchPool.shared.with(k * l) { dcols in
                                            BLAS.gemm(transA: true, m: k, n: l, k: o, w, lda: k, g, ldb: l, beta: 0, dcols, ldc: l)
                                            win.col2im(dcols, into: dxImage)
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        var out: [Tensor?] = [needX ? Tensor(shape: c[0].shape, data: dx) : nil, needW ? Tensor(shape: c[1].shape, data: dw) : nil]
        if c.inputs.count > 2 {
            out.append(c.needs(2) ? Tensor(shape: [o], data: channelSums(c.g.data, n: win.n, channels: o, plane: l)) : nil)
        }
        return out
    }
}

/// Σ over images and positions of each channel of [N, C, plane].
func channelSums(_ g: [Double], n: Int, channels: Int, plane: Int) -> [Double] {
    var out = [Double](repeating: 0, count: channels)
    g.withUnsafeBufferPointer { G in
        for image in 0..<n {
            for ch in 0..<channels {
                let row = G.baseAddress! + (image * channels + ch) * plane
                var s = 0.0
                for p in 0..<plane { s += row[p] }
                out[ch] += s
            }
        }
    }
    return out
}

// MARK: - Column matrices (im2col)

extension Window {
    /// A 1×1 kernel with stride 1 and no padding: an image already is its column matrix.
    var isPointwise: Bool { kh == 1 && kw == 1 && sh == 1 && sw == 1 && ph == 0 && pw == 0 }

    /// The output columns ox whose tap j falls inside the image: lo..<hi.
    func columns(tap j: Int) -> (lo: Int, hi: Int) {
        func ceilDiv(_ a: Int, _ b: Int) -> Int { a <= 0 ? 0 : (a + b - 1) / b }
        let lo = min(ow, ceilDiv(pw - j, sw))
        return (lo, max(lo, min(ow, ceilDiv(w + pw - j, sw))))
    }

    /// Calls `body` for every (channel, tap row i, tap column j, output row oy) with the
    /// column-matrix row of [C·kh·kw, OH·OW] it fills (an offset) and the input row it
    /// reads (nil where the tap falls in the vertical padding).
    @inline(__always)
    func forEachTapRow(_ body: (_ colRow: Int, _ inputRow: Int?, _ j: Int) -> Void) {
        var row = 0
        for ch in 0..<c {
            for i in 0..<kh {
                for j in 0..<kw {
                    for oy in 0..<oh {
                        let y = oy * sh + i - ph
                        body(row + oy * ow, y >= 0 && y < h ? (ch * h + y) * w : nil, j)
                    }
                    row += oh * ow
                }
            }
        }
    }

    /// Writes the column matrix [C·kh·kw, OH·OW] of one image: row (ch, i, j) holds the
    /// input under tap (i, j) of every window, zero where the tap is in the padding.
    func im2col(_ image: UnsafePointer<Double>, into cols: UnsafeMutablePointer<Double>) {
        forEachTapRow { colRow, inputRow, j in
            let dst = cols + colRow
            guard let inputRow else { dst.update(repeating: 0, count: ow); return }
            let (lo, hi) = columns(tap: j)
            dst.update(repeating: 0, count: lo)
            (dst + hi).update(repeating: 0, count: ow - hi)
            let src = image + inputRow + j - pw
            if sw == 1 { (dst + lo).update(from: src + lo, count: hi - lo) }
            else { for ox in lo..<hi { dst[ox] = src[ox * sw] } }
        }
    }

    /// The adjoint of im2col: adds a column matrix back into one image's gradient.
    func col2im(_ cols: UnsafePointer<Double>, into image: UnsafeMutablePointer<Double>) {
        forEachTapRow { colRow, inputRow, j in
            guard let inputRow else { return }
            let (lo, hi) = columns(tap: j)
            let src = cols + colRow, dst = image + inputRow + j - pw
            if sw == 1 { for ox in lo..<hi { dst[ox] += src[ox] } }
            else { for ox in lo..<hi { dst[ox * sw] += src[ox] } }
        }
    }

    /// Calls `body` with the column matrix of every image of x in turn: the image itself
    /// when the kernel is pointwise, else one scratch buffer refilled for each image.
    func withColumns(_ x: UnsafePointer<Double>, _ body: (UnsafePointer<Double>, Int) -> Void) {
        let plane = c * h * w
        if isPointwise { for image in 0..<n { body(x + image * plane, image) }; return }
        ScratchPool.shared.with(c * kh * kw * oh * ow) { cols in
            for image in 0..<n {
                im2col(x + image * plane, into: cols)
                body(cols, image)
            }
        }
    }

    /// The column matrix of one image.
    func withColumns(_ x: UnsafePointer<Double>, image: Int, _ body: (UnsafePointer<Double>) -> Void) {
        let src = x + image * c * h * w
        if isPointwise { body(src); return }
        ScratchPool.shared.with(c * kh * kw * oh * ow) { cols in
            im2col(src, into: cols)
            body(cols)
        }
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

    /// Calls body(output offset, plane offset, rows y0..<y1, columns x0..<x1) for every
    /// window, in row-major order of the output: the window's taps inside the image.
    @inline(__always)
    func forEachWindow(_ win: Window, _ body: (_ out: Int, _ plane: Int, _ y0: Int, _ y1: Int, _ x0: Int, _ x1: Int) -> Void) {
        var out = 0
        for p in 0..<(win.n * win.c) {
            let plane = p * win.h * win.w
            for oy in 0..<win.oh {
                let top = oy * win.sh - win.ph
                let y0 = Swift.max(0, top), y1 = Swift.min(win.h, top + win.kh)
                for ox in 0..<win.ow {
                    let left = ox * win.sw - win.pw
                    body(out, plane, y0, y1, Swift.max(0, left), Swift.min(win.w, left + win.kw))
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

    /// Calls body(output offset, input offset) with the tap chosen in each window, as
    /// PyTorch's kernel scans it: the last NaN, else the first maximum; a window of -inf
    /// picks its first in-bounds element.
    @inline(__always)
    func forEachArgmax(_ x: UnsafePointer<Double>, _ win: Window, _ body: (Int, Int) -> Void) {
        forEachWindow(win) { out, plane, y0, y1, x0, x1 in
            var best = plane + y0 * win.w + x0
            var m = -Double.infinity
            for y in y0..<y1 {
                let row = plane + y * win.w
                for t in (row + x0)..<(row + x1) where x[t] > m || x[t].isNaN {
                    best = t
                    m = x[t]
                }
            }
            body(out, best)
        }
    }
    public func forward(_ x: [Tensor]) throws(OpError) -> [Tensor] {
        let win = try window(x[0].shape)
        let out = [Double](writing: Tensor.count(of: win.outShape)) { out in
            x[0].data.withUnsafeBufferPointer { X in forEachArgmax(X.baseAddress!, win) { o, at in out[o] = X[at] } }
        }
        return [Tensor(shape: win.outShape, data: out)]
    }
    public func vjp(_ c: VJPContext) -> [Tensor?] {
        let win = try! window(c[0].shape)
        var dx = [Double](repeating: 0, count: c[0].count)
        c[0].data.withUnsafeBufferPointer { X in
            c.g.data.withUnsafeBufferPointer { G in
                dx.withUnsafeMutableBufferPointer { DX in
                    forEachArgmax(X.baseAddress!, win) { o, at in DX[at] += G[o] }
                }
            }
        }
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
        let out = [Double](writing: Tensor.count(of: win.outShape)) { out in
            x[0].data.withUnsafeBufferPointer { X in
                forEachWindow(win) { o, plane, y0, y1, x0, x1 in
                    var s = 0.0
                    for y in y0..<y1 {
                        let row = plane + y * win.w
                        for t in (row + x0)..<(row + x1) { s += X[t] }
                    }
                    out[o] = s / divisor
                }
            }
        }
        return [Tensor(shape: win.outShape, data: out)]
    }
    public func vjp(_ c: VJPContext) -> [Tensor?] {
        let win = try! window(c[0].shape)
        let divisor = Double(win.kh * win.kw)
        var dx = [Double](repeating: 0, count: c[0].count)
        c.g.data.withUnsafeBufferPointer { G in
            dx.withUnsafeMutableBufferPointer { DX in
                forEachWindow(win) { o, plane, y0, y1, x0, x1 in
                    let share = G[o] / divisor
                    for y in y0..<y1 {
                        let row = plane + y * win.w
                        for t in (row + x0)..<(row + x1) { DX[t] += share }
                    }
                }
            }
        }
        return [Tensor(shape: c[0].shape, data: dx)]
    }
}
