#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import GradvizCore
import GradvizModel

// gradviz-bench: forward/backward timings of the autograd core. See bench/README.md.

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}

let usage = """
    usage: gradviz-bench <mode> [options]

    modes:
      dag    random scalar DAGs with fan-out, built with Graph.apply
               --sizes 1000,10000,100000,1000000   op counts (default)
               --reps N       repetitions per size (default 21/11/5/3 by size; median reported)
               --seed S       (default 1)
               --api graph|value   Graph.apply with pre-made ops (default) or the Value operators
      mlp    MLP on tensors: x [batch, 784] → hidden → 10, cross_entropy
               --batch 64 --input 784 --hidden 256 --classes 10 --iterations 20
               --activation relu|tanh   (default: both)
      file   model.json → result JSON, end to end
               PATH           a model file (make one with bench/gen_dag.py)
               -o OUT         where the result goes (default /tmp/gradviz-bench-result.json)
               --reps N       (default 5)
      tensor compute of a tensor model in process (bench/tensor): forward and backward
               PATH           a model file (bench/tensor/*.json)
               --reps N       (default 5; median and best reported)
               --per-op       also each op node's forward and vjp alone (medians), slowest first
      all    dag and mlp with their defaults

    options for every mode:
      --json   print JSON (one object) on stdout instead of tables; progress goes to stderr
      --quiet  no progress lines
    """

func fail(_ message: String) -> Never {
    fputs("gradviz-bench: \(message)\n", stderr)
    exit(2)
}

singleThreadedBLAS()   // as the gradviz command does: no idle OpenBLAS workers spinning
keepFreedTensorMemory()
var args = Array(CommandLine.arguments.dropFirst())
if args.isEmpty || args.contains("-h") || args.contains("--help") {
    print(usage)
    exit(args.isEmpty ? 2 : 0)
}
let mode = args.removeFirst()
var jsonOutput = false, quiet = false, perOp = false
var options: [String: String] = [:]
var positional: [String] = []
while !args.isEmpty {
    let a = args.removeFirst()
    switch a {
    case "--json": jsonOutput = true
    case "--quiet": quiet = true
    case "--per-op": perOp = true
    case _ where a.hasPrefix("-"):
        guard !args.isEmpty else { fail("\(a) needs a value") }
        options[a] = args.removeFirst()
    default: positional.append(a)
    }
}

guard ["dag", "mlp", "file", "tensor", "all"].contains(mode) else { fail("unknown mode '\(mode)'\n\n\(usage)") }
let known: Set<String> = ["--sizes", "--reps", "--seed", "--api", "--batch", "--input", "--hidden", "--classes",
                          "--iterations", "--activation", "-o", "--output"]
if let bad = options.keys.sorted().first(where: { !known.contains($0) }) { fail("unknown option \(bad)\n\n\(usage)") }

func intOption(_ name: String, _ fallback: Int?) -> Int? {
    guard let s = options.removeValue(forKey: name) else { return fallback }
    guard let v = Int(s.replacingOccurrences(of: "_", with: "")), v > 0 else { fail("\(name) takes a positive integer, got \(s)") }
    return v
}

extension String {
    func replacingOccurrences(of a: String, with b: String) -> String {
        split(separator: Character(a), omittingEmptySubsequences: false).joined(separator: b)
    }
}

let log: (String) -> Void = { line in if !quiet { fputs(line + "\n", stderr) } }

var json = JSONWriter(style: .pretty)
json.beginObject()
json.key("machine"); json.beginObject()
json.key("cores"); json.value(Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
json.endObject()
var text = ""

do {
    let seed = UInt64(intOption("--seed", 1)!)
    if mode == "dag" || mode == "all" {
        var sizes = [1_000, 10_000, 100_000, 1_000_000]
        if let s = options.removeValue(forKey: "--sizes") {
            sizes = s.split(separator: ",").map { p in
                guard let v = Int(String(p).replacingOccurrences(of: "_", with: "")), v > 0 else { fail("bad size \(p)") }
                return v
            }
        }
        guard let api = BuildAPI(rawValue: options.removeValue(forKey: "--api") ?? "graph") else { fail("--api is graph or value") }
        let reps = mode == "dag" ? intOption("--reps", nil) : nil
        let results = try benchDAG(sizes: sizes, reps: reps, seed: seed, api: api, log: log)
        text += dagTable(results, api: api) + "\n"
        json.key("dag"); json.beginObject()
        json.key("api"); json.value(api.rawValue)
        json.key("results"); json.beginArray()
        for r in results {
            json.beginObject()
            json.key("ops"); json.value(r.ops)
            json.key("nodes"); json.value(r.nodes)
            json.key("edges"); json.value(r.edges)
            json.key("fan_out_mean"); json.value(r.fanOutMean)
            json.key("fan_out_max"); json.value(r.fanOutMax)
            json.key("forward_s"); json.value(r.forward)
            json.key("backward_s"); json.value(r.backward)
            json.key("backward_over_forward"); json.value(r.ratio)
            json.key("ns_per_node_forward"); json.value(r.nsPerNodeForward)
            json.key("ns_per_edge_backward"); json.value(r.nsPerEdgeBackward)
            json.key("teardown_s"); json.value(r.teardown)
            json.key("peak_rss_bytes"); json.value(r.peakRSS)
            json.key("peak_growth_bytes"); json.value(r.peakGrowth)
            json.key("reps"); json.value(r.reps)
            json.endObject()
        }
        json.endArray()
        json.endObject()
    }
    if mode == "mlp" || mode == "all" {
        var c = MLPConfig()
        c.batch = intOption("--batch", c.batch)!
        c.input = intOption("--input", c.input)!
        c.hidden = intOption("--hidden", c.hidden)!
        c.classes = intOption("--classes", c.classes)!
        c.iterations = intOption("--iterations", c.iterations)!
        c.seed = seed
        let activations = options.removeValue(forKey: "--activation").map { [$0] } ?? ["relu", "tanh"]
        var results: [MLPResult] = []
        for a in activations {
            c.activation = a
            results.append(try benchMLP(c, log: log))
        }
        text += mlpTable(results) + "\n"
        json.key("mlp"); json.beginArray()
        for r in results {
            json.beginObject()
            json.key("model"); json.value(r.config.description)
            json.key("nodes"); json.value(r.nodes)
            json.key("forward_s"); json.value(r.forward)
            json.key("backward_s"); json.value(r.backward)
            json.key("forward_min_s"); json.value(r.forwardMin)
            json.key("backward_min_s"); json.value(r.backwardMin)
            json.key("backward_over_forward"); json.value(r.ratio)
            json.key("forward_gflops"); json.value(r.config.forwardFlops / r.forward / 1e9)
            json.key("backward_gflops"); json.value(r.config.backwardFlops / r.backward / 1e9)
            json.key("loss"); json.value(r.loss)
            json.key("peak_rss_bytes"); json.value(r.peakRSS)
            json.key("iterations"); json.value(r.config.iterations)
            json.endObject()
        }
        json.endArray()
    }
    if mode == "file" {
        guard positional.count == 1 else { fail("file takes one model path (make one with: python3 bench/gen_dag.py --ops 100000 -o bench/out/dag-100000.json)") }
        let out = options.removeValue(forKey: "-o") ?? options.removeValue(forKey: "--output") ?? "/tmp/gradviz-bench-result.json"
        let r = try benchFile(positional[0], outputPath: out, reps: intOption("--reps", 5)!, log: log)
        text += fileTable(r) + "\n"
        json.key("file"); json.beginObject()
        json.key("path"); json.value(r.path)
        json.key("result_path"); json.value(out)
        json.key("bytes_in"); json.value(r.bytesIn)
        json.key("bytes_out"); json.value(r.bytesOut)
        json.key("graph_nodes"); json.value(r.nodes)
        json.key("ops"); json.value(r.ops)
        json.key("edges"); json.value(r.edges)
        for (key, stages) in [("median", r.median), ("best", r.best)] {
            json.key(key); json.beginObject()
            json.key("read_s"); json.value(stages.read)
            json.key("parse_s"); json.value(stages.parse)
            json.key("build_forward_s"); json.value(stages.build)
            json.key("backward_s"); json.value(stages.backward)
            json.key("serialize_s"); json.value(stages.serialize)
            json.key("write_s"); json.value(stages.write)
            json.key("total_s"); json.value(stages.total)
            json.endObject()
        }
        json.key("peak_rss_bytes"); json.value(r.peakRSS)
        json.key("reps"); json.value(r.reps)
        json.endObject()
    }
    if mode == "tensor" {
        guard positional.count == 1 else { fail("tensor takes one model path (bench/tensor/*.json)") }
        let r = try benchTensor(positional[0], reps: intOption("--reps", 5)!, perOp: perOp, log: log)
        text += "\(r.path): \(r.ops) ops; forward \(fixed(median(r.forward), 4)) s (best \(fixed(r.forward.min()!, 4))), " +
            "backward \(fixed(median(r.backward), 4)) s (best \(fixed(r.backward.min()!, 4))); CPU (all threads) forward " +
            "\(fixed(median(r.forwardCPU), 4)) s, backward \(fixed(median(r.backwardCPU), 4)) s; peak RSS \(formatBytes(r.peakRSS)); \(r.forward.count) runs\n"
        if perOp {
            let fw = r.perOp.reduce(0) { $0 + $1.forward }, bw = r.perOp.reduce(0) { $0 + $1.vjp }
            let fwCPU = r.perOp.reduce(0) { $0 + $1.forwardCPU }, bwCPU = r.perOp.reduce(0) { $0 + $1.vjpCPU }
            text += "each op alone, ms wall (CPU), medians; sums: forward \(fixed(fw * 1000, 1)) (\(fixed(fwCPU * 1000, 1))), " +
                "vjp \(fixed(bw * 1000, 1)) (\(fixed(bwCPU * 1000, 1))); the backward pass beyond its vjps " +
                "\(fixed((median(r.backward) - bw) * 1000, 1)) wall:\n"
            for row in r.perOp.sorted(by: { $0.forward + $0.vjp > $1.forward + $1.vjp }) {
                text += "  \(row.name) (\(row.op) \(row.shape)): forward \(fixed(row.forward * 1000, 2)) (\(fixed(row.forwardCPU * 1000, 2))), " +
                    "vjp \(fixed(row.vjp * 1000, 2)) (\(fixed(row.vjpCPU * 1000, 2)))\n"
            }
        }
        json.key("tensor"); json.beginObject()
        json.key("path"); json.value(r.path)
        json.key("ops"); json.value(r.ops)
        json.key("forward_s"); json.value(median(r.forward))
        json.key("backward_s"); json.value(median(r.backward))
        json.key("forward_best_s"); json.value(r.forward.min()!)
        json.key("backward_best_s"); json.value(r.backward.min()!)
        json.key("forward_cpu_s"); json.value(median(r.forwardCPU))
        json.key("backward_cpu_s"); json.value(median(r.backwardCPU))
        json.key("peak_rss_bytes"); json.value(r.peakRSS)
        json.key("reps"); json.value(r.forward.count)
        json.endObject()
    }
    if !options.isEmpty { fail("unknown or unused options: \(options.keys.sorted().joined(separator: " "))") }
} catch {
    fail("\(error)")
}
json.endObject()
print(jsonOutput ? json.string : text, terminator: jsonOutput ? "\n" : "")
