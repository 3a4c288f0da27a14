#!/usr/bin/env python3
"""Runs a gradviz model.json of scalar ops with PyTorch (eager, float64, CPU) and
times each stage, as bench/micrograd_dag.py does for micrograd.

Every input is a 0-d float64 tensor with requires_grad; every node calls retain_grad()
so that the result file has the gradient of every value, as gradviz's has (pass
--leaf-grads to keep only the inputs' gradients, which is cheaper).

Stages: import torch (reported apart), read + parse JSON, build + forward, backward,
write {"gradviz", "outputs", "values", "grads"}.

Usage: python3 bench/torch_dag.py MODEL.json -o RESULT.json [--leaf-grads] [--json]
"""
import time

T_START = time.perf_counter()
import torch  # noqa: E402

T_IMPORT = time.perf_counter() - T_START

import argparse  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description="PyTorch eager on a gradviz model.json")
    ap.add_argument("model")
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--leaf-grads", action="store_true", help="gradients of the inputs only (no retain_grad)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    t0 = time.perf_counter()
    with open(args.model) as f:
        model = json.load(f)
    t1 = time.perf_counter()

    vals = {}
    for name, v in model["inputs"].items():
        if isinstance(v, dict):
            v = v["value"]
        vals[name] = torch.tensor(v, dtype=torch.float64, requires_grad=True)
    order = list(vals)
    ops = {"add": torch.add, "sub": torch.sub, "mul": torch.mul, "div": torch.div, "pow": torch.pow,
           "relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid, "exp": torch.exp,
           "neg": torch.neg, "log": torch.log}
    for node in model["nodes"]:
        f = ops[node["op"]]
        ins = [vals[i] if isinstance(i, str) else i for i in node["inputs"]]
        if not isinstance(ins[0], torch.Tensor):
            ins[0] = torch.tensor(ins[0], dtype=torch.float64)
        out = f(*ins)
        if not args.leaf_grads:
            out.retain_grad()
        vals[node["id"]] = out
        order.append(node["id"])
    outputs = model.get("outputs") or [model["nodes"][-1]["id"]]
    t2 = time.perf_counter()

    torch.autograd.backward([vals[o] for o in outputs])
    t3 = time.perf_counter()

    result = {
        "gradviz": 1,
        "outputs": outputs,
        "values": {k: vals[k].item() for k in order},
        "grads": {k: vals[k].grad.item() for k in order if vals[k].grad is not None},
    }
    with open(args.output, "w") as f:
        json.dump(result, f, separators=(",", ":"))
        f.write("\n")
    t4 = time.perf_counter()

    report = {
        "engine": "torch " + torch.__version__,
        "python": sys.version.split()[0],
        "model": args.model,
        "nodes": len(model["nodes"]),
        "retain_grad": not args.leaf_grads,
        "import_s": T_IMPORT,
        "read_parse_s": t1 - t0,
        "build_forward_s": t2 - t1,
        "backward_s": t3 - t2,
        "write_s": t4 - t3,
        "total_s": t4 - t0,
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"{report['engine']} on {args.model} ({report['nodes']} nodes), Python {report['python']}, "
              f"{'retain_grad on every node' if report['retain_grad'] else 'leaf gradients only'}")
        for key, label in [("import_s", "import torch (not in total)"), ("read_parse_s", "read + parse JSON"),
                           ("build_forward_s", "build graph + forward"), ("backward_s", "backward"),
                           ("write_s", "write result JSON"), ("total_s", "total")]:
            print(f"  {label:34s} {report[key] * 1e3:10.1f} ms")
        print(f"  peak RSS {report['peak_rss_bytes'] / 2**20:.1f} MiB")


if __name__ == "__main__":
    main()
