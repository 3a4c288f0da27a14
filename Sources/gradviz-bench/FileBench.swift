#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import GradvizCore
import GradvizModel

// `file`: model.json → gradients file, end to end, as `gradviz model.json -o result.json`
// does it: read, ModelLoader (parse + validate + build the graph, which computes the
// forward), Model.backward, ResultJSON.write (compact), write. The loader parses inside
// `load`, so the parse is also timed alone on the side, to split "load" into parse and build.

struct FileStages {
    var read = 0.0, parse = 0.0, build = 0.0, backward = 0.0, serialize = 0.0, write = 0.0
    var total: Double { read + parse + build + backward + serialize + write }
}

struct FileResult {
    var path = ""
    var bytesIn = 0, bytesOut = 0
    var nodes = 0, ops = 0, edges = 0
    var reps = 0
    var median = FileStages()
    var best = FileStages()
    var peakRSS = 0
}

func readFile(_ path: String) throws -> [UInt8] {
    guard let f = fopen(path, "rb") else { throw BenchError("cannot open \(path)") }
    defer { fclose(f) }
    fseek(f, 0, SEEK_END)
    let size = ftell(f)
    fseek(f, 0, SEEK_SET)
    guard size >= 0 else { throw BenchError("cannot size \(path)") }
    var bytes = [UInt8](repeating: 0, count: size)
    let got = bytes.withUnsafeMutableBytes { fread($0.baseAddress, 1, size, f) }
    guard got == size else { throw BenchError("short read of \(path)") }
    return bytes
}

func writeFile(_ path: String, _ bytes: [UInt8]) throws {
    guard let f = fopen(path, "wb") else { throw BenchError("cannot write \(path)") }
    let put = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, bytes.count, f) }
    guard fclose(f) == 0, put == bytes.count else { throw BenchError("short write to \(path)") }
}

/// One run of every stage; the result file is written to `outputPath`.
func runFileOnce(_ path: String, outputPath: String) throws -> (FileStages, FileResult) {
    var s = FileStages()
    var r = FileResult()
    let (bytes, tRead) = try timed { try readFile(path) }
    // The parse alone, outside the pipeline, to split the loader's time.
    let (_, tParse) = try timed { try JSONValue.parse(bytes) }
    let (model, tLoad) = try timed { try ModelLoader(file: path).load(bytes) }
    let (grads, tBackward) = try timed { try model.backward() }
    let (out, tSerialize) = timed { ResultJSON.write(model, grads, style: .compact) }
    s.parse = min(tParse, tLoad); s.build = tLoad - s.parse; s.backward = tBackward; s.serialize = tSerialize
    let graph = model.graph
    let (_, tWrite) = try timed { try writeFile(outputPath, out) }
    s.read = tRead; s.write = tWrite
    r.path = path
    r.bytesIn = bytes.count
    r.bytesOut = out.count
    graph.nodes.withUnsafeBufferPointer { nb in
        r.nodes = nb.count
        for n in nb.indices {
            if case .op = nb[n].kind { r.ops += 1 }
            r.edges += nb[n].inputs.count
        }
    }
    return (s, r)
}

func benchFile(_ path: String, outputPath: String, reps: Int, log: (String) -> Void) throws -> FileResult {
    Memory.resetPeak()
    var runs: [FileStages] = []
    var result = FileResult()
    for _ in 0..<reps {
        let (s, r) = try runFileOnce(path, outputPath: outputPath)
        runs.append(s)
        result = r
    }
    func pick(_ f: ([Double]) -> Double) -> FileStages {
        FileStages(read: f(runs.map(\.read)), parse: f(runs.map(\.parse)), build: f(runs.map(\.build)),
                   backward: f(runs.map(\.backward)), serialize: f(runs.map(\.serialize)), write: f(runs.map(\.write)))
    }
    result.reps = reps
    result.median = pick(median)
    result.best = pick { $0.min()! }
    result.peakRSS = Memory.rss()?.peak ?? 0
    log("file \(path): total \(formatSeconds(result.median.total)) (median of \(reps)), result in \(outputPath)")
    return result
}

func fileTable(_ r: FileResult) -> String {
    var t = Table(["stage", "median", "best", "share"])
    let m = r.median, b = r.best
    let rows: [(String, Double, Double)] = [
        ("read file", m.read, b.read), ("parse JSON", m.parse, b.parse),
        ("load: validate, build graph + forward", m.build, b.build), ("backward", m.backward, b.backward),
        ("serialize result JSON", m.serialize, b.serialize), ("write file", m.write, b.write),
    ]
    for (name, x, y) in rows {
        t.add([name, formatSeconds(x), formatSeconds(y), fixed(100 * x / m.total, 1) + " %"])
    }
    t.add(["total", formatSeconds(m.total), formatSeconds(b.total), "100 %"])
    let head = "Model file → gradients file with ModelLoader + ResultJSON (as gradviz): \(r.path) (\(formatBytes(r.bytesIn)) in, \(formatBytes(r.bytesOut)) out; " +
        "\(r.nodes) graph nodes, \(r.ops) ops, \(r.edges) edges; peak RSS \(formatBytes(r.peakRSS)); \(r.reps) runs)\n" +
        "backward/forward = \(fixed(m.backward / m.build, 2)) (forward = build graph + forward)\n"
    return head + t.render()
}
