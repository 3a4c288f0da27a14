#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import GradvizCore
import GradvizModel

// `file`: model.json → gradients file, end to end: read, parse, build graph (= forward),
// backward, write the result JSON of the model format.
//
// Two pipelines:
//   --loader model (default): what `gradviz model.json -o result.json` does: ModelLoader
//     (parse + validate + build the graph, which computes the forward), Model.backward,
//     ResultJSON.write (compact). The loader parses inside `load`, so the parse is also
//     timed alone on the side, to split "load" into parse and build.
//   --loader mini: a minimal loader of this file, written before GradvizModel had one:
//     inputs given as numbers, nested arrays or {"value", "grad"} objects; nodes with
//     `id` or `outputs`, `op`, `inputs` (ids or number literals) and `attrs`; `outputs`
//     and `seed`. No `expr`, no `functions`, little validation; a lower bound for what a
//     loader over this JSON tree costs.

struct LoadedModel {
    let graph: Graph
    let outputs: [ValueID]
    let seeds: [ValueID: Tensor]
}

struct FileStages {
    var read = 0.0, parse = 0.0, build = 0.0, backward = 0.0, serialize = 0.0, write = 0.0
    var total: Double { read + parse + build + backward + serialize + write }
}

struct FileResult {
    var path = ""
    var loader = FileLoader.model
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

/// A number or rectangular nested array as a tensor.
func tensor(from json: JSONValue) throws -> Tensor {
    if let d = json.doubleValue { return Tensor(d) }
    var shape: [Int] = []
    var probe = json
    while let elements = probe.arrayElements {
        shape.append(elements.count)
        guard let first = elements.first else { break }
        probe = first
    }
    var data: [Double] = []
    data.reserveCapacity(shape.reduce(1, *))
    func walk(_ v: JSONValue, _ depth: Int) throws {
        if depth == shape.count {
            guard let d = v.doubleValue else { throw BenchError("\(v.position): expected a number") }
            data.append(d)
            return
        }
        guard let elements = v.arrayElements, elements.count == shape[depth] else {
            throw BenchError("\(v.position): ragged array")
        }
        for e in elements { try walk(e, depth + 1) }
    }
    try walk(json, 0)
    return Tensor(shape: shape, data: data)
}

func attrValue(_ json: JSONValue) throws -> AttrValue {
    switch json.kind {
    case .null: return .null
    case .bool(let b): return .bool(b)
    case .number(let d, let isInteger): return isInteger ? .int(Int(d)) : .double(d)
    case .string(let s): return .string(s)
    case .array(let elements):
        return .ints(try elements.map { e in
            guard let i = e.intValue else { throw BenchError("\(e.position): expected an integer") }
            return i
        })
    case .object: throw BenchError("\(json.position): an attribute cannot be an object")
    }
}

/// Builds the graph of a parsed model; every node is computed as it is added.
func buildModel(_ root: JSONValue) throws -> LoadedModel {
    let g = Graph()
    var ids: [String: ValueID] = [:]
    guard let inputs = root["inputs"]?.objectMembers else { throw BenchError("model has no inputs object") }
    guard let nodes = root["nodes"]?.arrayElements else { throw BenchError("model has no nodes array") }
    ids.reserveCapacity(inputs.count + nodes.count)
    for m in inputs {
        var value = m.value, grad = true
        if m.value.objectMembers != nil {
            guard let v = m.value["value"] else { throw BenchError("input \(m.key): only {\"value\": ...} objects are supported here") }
            value = v
            grad = m.value["grad"]?.boolValue ?? true
        }
        ids[m.key] = g.addInput(m.key, try tensor(from: value), requiresGradient: grad)
    }
    // Ops without attributes are made once per name and shared by their nodes.
    var plainOps: [String: any Op] = [:]
    var last: String? = nil
    for node in nodes {
        guard let opName = node["op"]?.stringValue else {
            throw BenchError("\(node.position): only nodes with \"op\" are supported here (no expr)")
        }
        var inputIDs: [ValueID] = []
        for i in node["inputs"]?.arrayElements ?? [] {
            if let name = i.stringValue {
                guard let v = ids[name] else { throw BenchError("\(i.position): unknown id '\(name)'") }
                inputIDs.append(v)
            } else if let d = i.doubleValue {
                inputIDs.append(g.addConstant(Tensor(d)))
            } else {
                throw BenchError("\(i.position): an input is an id or a number")
            }
        }
        let op: any Op
        if let attrs = node["attrs"]?.objectMembers, !attrs.isEmpty {
            op = try OpRegistry.make(opName, attrs.map { ($0.key, try attrValue($0.value)) })
        } else if let cached = plainOps[opName] {
            op = cached
        } else {
            op = try OpRegistry.make(opName)
            plainOps[opName] = op
        }
        let names: [String]
        if let id = node["id"]?.stringValue { names = [id] }
        else if let outs = node["outputs"]?.arrayElements { names = outs.compactMap(\.stringValue) }
        else { throw BenchError("\(node.position): node without id") }
        let outs = try g.apply(op, inputIDs, names: names)
        guard outs.count == names.count else { throw BenchError("\(node.position): \(opName) gives \(outs.count) outputs") }
        for (name, v) in zip(names, outs) { ids[name] = v }
        last = names.last
    }
    let outputNames = try root["outputs"]?.arrayElements.map { try $0.map { e in
        guard let s = e.stringValue else { throw BenchError("\(e.position): an output is an id") }
        return s
    } } ?? (last.map { [$0] } ?? [])
    let outputs = try outputNames.map { name in
        guard let v = ids[name] else { throw BenchError("unknown output '\(name)'") }
        return v
    }
    var seeds: [ValueID: Tensor] = [:]
    for m in root["seed"]?.objectMembers ?? [] {
        guard let v = ids[m.key] else { throw BenchError("seed for unknown id '\(m.key)'") }
        seeds[v] = try tensor(from: m.value)
    }
    return LoadedModel(graph: g, outputs: outputs, seeds: seeds)
}

/// The result JSON of the model format: outputs, values, grads, edges.
func resultJSON(_ model: LoadedModel, _ grads: Gradients) -> [UInt8] {
    let g = model.graph
    var w = JSONWriter(style: .compact)
    func write(_ t: Tensor) {
        if t.isScalar { w.value(t.data[0]) } else { w.tensor(t.data, shape: t.shape) }
    }
    w.beginObject()
    w.key("gradviz"); w.value(1)
    w.key("outputs"); w.beginArray(singleLine: true)
    for v in model.outputs { w.value(g.name(v)) }
    w.endArray()
    // Nodes are read in place (nb[n].field): copying a Graph.Node retains all its fields.
    g.nodes.withUnsafeBufferPointer { nb in
        w.key("values"); w.beginObject()
        for n in nb.indices {
            let names = nb[n].names, values = nb[n].values
            for k in names.indices where !names[k].isEmpty {
                w.key(names[k]); write(values[k])
            }
        }
        w.endObject()
        w.key("grads"); w.beginObject()
        for n in nb.indices {
            let names = nb[n].names
            for k in names.indices where !names[k].isEmpty {
                if let t = grads[ValueID(node: n, output: k)] { w.key(names[k]); write(t) }
            }
        }
        w.endObject()
        w.key("edges"); w.beginArray()
        for n in nb.indices {
            guard case .op = nb[n].kind else { continue }
            let to = nb[n].names.first ?? "", inputs = nb[n].inputs
            for slot in inputs.indices {
                let v = inputs[slot]
                let from = nb[v.node].names[v.output]
                guard !from.isEmpty, let t = grads.edge(node: n, slot: slot) else { continue }
                w.beginObject()
                w.key("from"); w.value(from)
                w.key("to"); w.value(to)
                w.key("slot"); w.value(slot)
                w.key("grad"); write(t)
                w.endObject()
            }
        }
        w.endArray()
    }
    w.endObject()
    return w.fileBytes()
}

enum FileLoader: String { case model, mini }

/// One run of every stage; the result file is written to `outputPath`.
func runFileOnce(_ path: String, outputPath: String, loader: FileLoader) throws -> (FileStages, FileResult) {
    var s = FileStages()
    var r = FileResult()
    let (bytes, tRead) = try timed { try readFile(path) }
    let graph: Graph
    let out: [UInt8]
    switch loader {
    case .mini:
        let (root, tParse) = try timed { try JSONValue.parse(bytes) }
        let (model, tBuild) = try timed { try buildModel(root) }
        let (grads, tBackward) = try timed { try model.graph.backward(model.outputs, seeds: model.seeds) }
        let (text, tSerialize) = timed { resultJSON(model, grads) }
        s.parse = tParse; s.build = tBuild; s.backward = tBackward; s.serialize = tSerialize
        graph = model.graph
        out = text
    case .model:
        // The parse alone, outside the pipeline, to split the loader's time.
        let (_, tParse) = try timed { try JSONValue.parse(bytes) }
        let (model, tLoad) = try timed { try ModelLoader(file: path).load(bytes) }
        let (grads, tBackward) = try timed { try model.backward() }
        let (text, tSerialize) = timed { ResultJSON.write(model, grads, style: .compact) }
        s.parse = min(tParse, tLoad); s.build = tLoad - s.parse; s.backward = tBackward; s.serialize = tSerialize
        graph = model.graph
        out = text
    }
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

func benchFile(_ path: String, outputPath: String, reps: Int, loader: FileLoader, log: (String) -> Void) throws -> FileResult {
    Memory.resetPeak()
    var runs: [FileStages] = []
    var result = FileResult()
    for _ in 0..<reps {
        let (s, r) = try runFileOnce(path, outputPath: outputPath, loader: loader)
        runs.append(s)
        result = r
    }
    func pick(_ f: ([Double]) -> Double) -> FileStages {
        FileStages(read: f(runs.map(\.read)), parse: f(runs.map(\.parse)), build: f(runs.map(\.build)),
                   backward: f(runs.map(\.backward)), serialize: f(runs.map(\.serialize)), write: f(runs.map(\.write)))
    }
    result.reps = reps
    result.loader = loader
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
        (r.loader == .model ? "load: validate, build graph + forward" : "build graph + forward", m.build, b.build), ("backward", m.backward, b.backward),
        ("serialize result JSON", m.serialize, b.serialize), ("write file", m.write, b.write),
    ]
    for (name, x, y) in rows {
        t.add([name, formatSeconds(x), formatSeconds(y), fixed(100 * x / m.total, 1) + " %"])
    }
    t.add(["total", formatSeconds(m.total), formatSeconds(b.total), "100 %"])
    let loaderText = r.loader == .model ? "ModelLoader + ResultJSON (as gradviz)" : "the bench's minimal loader"
    let head = "Model file → gradients file with \(loaderText): \(r.path) (\(formatBytes(r.bytesIn)) in, \(formatBytes(r.bytesOut)) out; " +
        "\(r.nodes) graph nodes, \(r.ops) ops, \(r.edges) edges; peak RSS \(formatBytes(r.peakRSS)); \(r.reps) runs)\n" +
        "backward/forward = \(fixed(m.backward / m.build, 2)) (forward = build graph + forward)\n"
    return head + t.render()
}
