#!/usr/bin/env python3
"""Runs a gradviz model.json of scalar ops with micrograd and times each stage.

Stages, timed as gradviz-bench's `file` mode times them:
  import       `import micrograd` (measured here, reported apart from the total)
  read+parse   json.load of the model file
  build+fwd    micrograd Values for inputs and nodes (micrograd computes as it builds)
  backward     out.backward() (topological sort + the reverse loop)
  edges        (only with --edges) the per-edge gradient contributions, computed from
               the node gradients afterwards, since micrograd does not keep them
  write        json.dump of {"gradviz", "outputs", "values", "grads"[, "edges"]}

Supported ops: add, sub, mul, div, neg, relu, and pow with a number exponent; inputs
given as ids or number literals (micrograd wraps a literal in a Value itself).

micrograd's backward sorts the graph with a recursive function whose depth is the
length of the longest path (about the number of nodes for these DAGs), so this
script raises Python's recursion limit and runs in a thread with a big stack, as
a user of micrograd has to for a 10^5-node graph.

Usage: python3 bench/micrograd_dag.py MODEL.json -o RESULT.json [--edges] [--json]
"""
import time

T_START = time.perf_counter()
import micrograd.engine  # noqa: E402  (timed: part of what a user pays)
from micrograd.engine import Value  # noqa: E402

T_IMPORT = time.perf_counter() - T_START

import argparse  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402


def run(args, report):
    t0 = time.perf_counter()
    with open(args.model) as f:
        model = json.load(f)
    t1 = time.perf_counter()

    vals = {}
    for name, v in model["inputs"].items():
        if isinstance(v, dict):
            v = v["value"]
        if not isinstance(v, (int, float)):
            raise SystemExit(f"input {name}: micrograd has scalars only")
        vals[name] = Value(float(v))
    order = list(vals)  # ids in definition order
    nodes = model["nodes"]
    built = []  # (node id, op, input Values or literals, out Value)
    for node in nodes:
        op = node["op"]
        ins = [vals[i] if isinstance(i, str) else i for i in node["inputs"]]
        if op == "add":
            out = ins[0] + ins[1] if isinstance(ins[0], Value) else ins[1] + ins[0]
        elif op == "mul":
            out = ins[0] * ins[1] if isinstance(ins[0], Value) else ins[1] * ins[0]
        elif op == "sub":
            out = ins[0] - ins[1]
        elif op == "div":
            out = ins[0] / ins[1]
        elif op == "neg":
            out = -ins[0]
        elif op == "relu":
            out = ins[0].relu()
        elif op == "pow" and not isinstance(ins[1], Value):
            out = ins[0] ** ins[1]
        else:
            raise SystemExit(f"node {node.get('id')}: op {op} is not in micrograd")
        vals[node["id"]] = out
        order.append(node["id"])
        built.append((node["id"], op, node["inputs"], ins, out))
    outputs = model.get("outputs") or [nodes[-1]["id"]]
    t2 = time.perf_counter()

    if len(outputs) != 1:
        raise SystemExit("micrograd backpropagates from one output")
    vals[outputs[0]].backward()
    t3 = time.perf_counter()

    edges = None
    if args.edges:
        edges = []
        for nid, op, names, ins, out in built:
            g = out.grad
            for slot, (name, x) in enumerate(zip(names, ins)):
                if not isinstance(name, str):
                    continue
                if op in ("add",):
                    e = g
                elif op == "sub":
                    e = g if slot == 0 else -g
                elif op == "mul":
                    other = ins[1 - slot]
                    e = (other.data if isinstance(other, Value) else other) * g
                elif op == "relu":
                    e = (out.data > 0) * g
                elif op == "neg":
                    e = -g
                else:
                    raise SystemExit(f"--edges: no edge rule for {op}")
                edges.append({"from": name, "to": nid, "slot": slot, "grad": e})
    t4 = time.perf_counter()

    result = {
        "gradviz": 1,
        "outputs": outputs,
        "values": {k: vals[k].data for k in order},
        "grads": {k: vals[k].grad for k in order},
    }
    if edges is not None:
        result["edges"] = edges
    with open(args.output, "w") as f:
        json.dump(result, f, separators=(",", ":"))
        f.write("\n")
    t5 = time.perf_counter()

    report.update({
        "engine": "micrograd " + getattr(micrograd, "__version__", "0.1.0"),
        "python": sys.version.split()[0],
        "model": args.model,
        "nodes": len(nodes),
        "import_s": T_IMPORT,
        "read_parse_s": t1 - t0,
        "build_forward_s": t2 - t1,
        "backward_s": t3 - t2,
        "edges_s": t4 - t3,
        "write_s": t5 - t4,
        "total_s": t5 - t0,
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "recursion_limit": sys.getrecursionlimit(),
        "gc": not args.no_gc,
    })


def main():
    ap = argparse.ArgumentParser(description="micrograd on a gradviz model.json")
    ap.add_argument("model")
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--edges", action="store_true", help="also write per-edge gradients")
    ap.add_argument("--json", action="store_true", help="print the timings as JSON")
    ap.add_argument("--no-gc", action="store_true",
                    help="disable Python's cyclic garbage collector (not micrograd's default; for comparison)")
    args = ap.parse_args()
    if args.no_gc:
        import gc
        gc.disable()

    # The recursive topological sort needs depth ~ number of nodes.
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10 * 1_000_000))
    threading.stack_size(1 << 30)
    report, errors = {}, []

    def target():
        try:
            run(args, report)
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    t = threading.Thread(target=target)
    t.start()
    t.join()
    if errors:
        raise errors[0]
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"micrograd on {report['model']} ({report['nodes']} nodes), Python {report['python']}"
              f"{'' if report['gc'] else ', cyclic GC disabled'}")
        for key, label in [("import_s", "import micrograd (not in total)"), ("read_parse_s", "read + parse JSON"),
                           ("build_forward_s", "build graph + forward"), ("backward_s", "backward"),
                           ("edges_s", "edge gradients (--edges)"), ("write_s", "write result JSON"),
                           ("total_s", "total")]:
            print(f"  {label:34s} {report[key] * 1e3:10.1f} ms")
        print(f"  peak RSS {report['peak_rss_bytes'] / 2**20:.1f} MiB")


if __name__ == "__main__":
    main()
