#!/usr/bin/env python3
"""Runs a gradviz model file of tensor ops with PyTorch eager (float64, CPU): the same
inputs (gradviz's SplitMix64 inits, rebuilt with numpy), forward, backward, and with -o
the same result file as `gradviz model.json -o result.json`: every value, every gradient
and the gradient of every edge (each use of a value goes through its own view, whose
.grad is what flows back along that edge).

Prints one JSON line of timings (seconds): import, build (inputs), forward, backward,
write, total (the whole process, from the interpreter's start), and peak RSS (MiB).
With --reps N (no -o) forward and backward run N times more after the timed first run
and the medians of those N are reported too (forward_warm, backward_warm), as
`gradviz-bench tensor` reports gradviz's.

Usage: python3 bench/tensor/torch_model.py MODEL.json [-o RESULT.json] [--reps N] [--threads N]
Ops: the ones bench/tensor's models use (matmul, conv2d, pooling, batch and layer norm,
softmax, gelu, relu, reductions, reshape, transpose, split, cross_entropy, arithmetic).
"""
import time

T0 = time.perf_counter()
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

T_IMPORT = time.perf_counter() - T0

import argparse  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402

import numpy as np  # noqa: E402

GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def splitmix(seed, count):
    """Draws 1..count of gradviz's SeededGenerator (SplitMix64) as uint64."""
    with np.errstate(over="ignore"):
        z = np.uint64(seed) + GOLDEN * np.arange(1, count + 1, dtype=np.uint64)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def unit(draws):
    return (draws >> np.uint64(11)).astype(np.float64) * 2.0 ** -53


def make_input(spec):
    if not isinstance(spec, dict):
        return torch.tensor(spec, dtype=torch.float64), True
    grad = spec.get("grad", True)
    if "value" in spec:
        return torch.tensor(spec["value"], dtype=torch.float64), grad
    shape, init = spec["shape"], spec["init"]
    n = int(np.prod(shape)) if shape else 1
    seed = spec.get("seed", 0) & 0xFFFFFFFFFFFFFFFF
    if init == "zeros":
        data = np.zeros(n)
    elif init == "ones":
        data = np.ones(n)
    elif init == "full":
        data = np.full(n, float(spec["fill"]))
    elif init == "arange":
        data = np.arange(n, dtype=np.float64)
    elif init == "normal":
        u = unit(splitmix(seed, 2 * n))
        u1, u2 = 1 - u[0::2], u[1::2]
        data = spec.get("mean", 0) + spec.get("std", 1) * (np.sqrt(-2 * np.log(u1)) * np.cos(2 * np.pi * u2))
    elif init == "uniform":
        lo, hi = spec.get("low", 0), spec.get("high", 1)
        data = lo + (hi - lo) * unit(splitmix(seed, n))
    else:
        raise SystemExit(f"torch_model.py: init {init!r} not supported")
    return torch.from_numpy(data.reshape(shape)), grad


def pair(v):
    return tuple(v) if isinstance(v, (list, tuple)) else (v, v)


def axes(a):
    return None if a is None or a == [] else a


def run(op, x, attrs):
    a = attrs.get
    if op in ("add", "sub", "mul", "div"):
        return [getattr(torch, op)(x[0], x[1])]
    if op == "matmul":
        return [torch.matmul(x[0], x[1])]
    if op in ("relu", "exp", "tanh", "sigmoid", "neg", "square", "sqrt", "log", "abs"):
        return [getattr(torch, op)(x[0])]
    if op == "identity":
        return [x[0]]
    if op == "gelu":
        return [F.gelu(x[0], approximate=a("approximate", "none"))]
    if op in ("softmax", "log_softmax"):
        return [getattr(torch, op)(x[0], dim=a("axis", -1))]
    if op in ("sum", "mean"):
        ax = axes(a("axis"))
        if ax is None:
            y = getattr(torch, op)(x[0])
            return [y.reshape([1] * x[0].dim()) if a("keepdims", False) else y]
        return [getattr(torch, op)(x[0], dim=ax, keepdim=a("keepdims", False))]
    if op == "reshape":
        return [x[0].reshape(a("shape"))]
    if op == "transpose":
        perm = a("perm") or list(reversed(range(x[0].dim())))
        return [x[0].permute(perm)]
    if op == "split":
        return list(torch.split(x[0], a("sizes"), dim=a("axis", 0)))
    if op == "conv2d":
        return [F.conv2d(x[0], x[1], x[2] if len(x) > 2 else None, stride=pair(a("stride", 1)), padding=pair(a("padding", 0)))]
    if op == "max_pool2d":
        k = pair(a("kernel_size"))
        return [F.max_pool2d(x[0], k, stride=pair(a("stride") or k), padding=pair(a("padding", 0)))]
    if op == "avg_pool2d":
        k = pair(a("kernel_size"))
        return [F.avg_pool2d(x[0], k, stride=pair(a("stride") or k), padding=pair(a("padding", 0)))]
    if op == "batch_norm":
        return [F.batch_norm(x[0], None, None, x[1] if len(x) > 1 else None, x[2] if len(x) > 2 else None,
                             training=True, eps=a("eps", 1e-5))]
    if op == "layer_norm":
        return [F.layer_norm(x[0], x[0].shape[-1:], x[1] if len(x) > 1 else None, x[2] if len(x) > 2 else None, eps=a("eps", 1e-5))]
    if op == "cross_entropy":
        return [F.cross_entropy(x[0], x[1].long(), reduction=a("reduction", "mean"))]
    raise SystemExit(f"torch_model.py: op {op!r} not supported")


def main():
    ap = argparse.ArgumentParser(description="PyTorch eager on a gradviz model file of tensor ops")
    ap.add_argument("model")
    ap.add_argument("-o", "--output")
    ap.add_argument("--reps", type=int, default=0, help="warm repetitions of forward + backward (without -o)")
    ap.add_argument("--threads", type=int, help="torch.set_num_threads (default: PyTorch's own)")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    t = time.perf_counter()
    with open(args.model) as f:
        model = json.load(f)
    values, order, needs = {}, [], {}
    for name, spec in model["inputs"].items():
        v, grad = make_input(spec)
        values[name] = v.requires_grad_(grad)
        order.append(name)
    t_build = time.perf_counter() - t

    record = args.output is not None
    edges = []  # (from, to, slot, view) when writing a result
    t = time.perf_counter()
    for node in model["nodes"]:
        ins = []
        for slot, i in enumerate(node["inputs"]):
            if not isinstance(i, str):
                ins.append(i)
                continue
            v = values[i]
            if record and v.requires_grad:
                v = v.view_as(v)
                v.retain_grad()
                edges.append((i, node.get("id") or node["outputs"][0], slot, v))  # as gradviz names it
            ins.append(v)
        outs = run(node["op"], ins, node.get("attrs", {}))
        for name, y in zip(node.get("outputs") or [node["id"]], outs):
            if record and y.requires_grad:
                y.retain_grad()
            values[name] = y
            order.append(name)
    outputs = model.get("outputs") or [order[-1]]
    t_forward = time.perf_counter() - t

    t = time.perf_counter()
    torch.autograd.backward([values[o] for o in outputs])
    t_backward = time.perf_counter() - t

    warm = {}
    if args.reps and not record:
        fw, bw = [], []
        for _ in range(args.reps):
            for v in values.values():
                v.grad = None
            t = time.perf_counter()
            env = dict(values)
            for node in model["nodes"]:
                ins = [env[i] if isinstance(i, str) else i for i in node["inputs"]]
                for name, y in zip(node.get("outputs") or [node["id"]], run(node["op"], ins, node.get("attrs", {}))):
                    env[name] = y
            fw.append(time.perf_counter() - t)
            t = time.perf_counter()
            torch.autograd.backward([env[o] for o in outputs])
            bw.append(time.perf_counter() - t)
            del env
        warm = {"forward_warm": round(sorted(fw)[len(fw) // 2], 4), "backward_warm": round(sorted(bw)[len(bw) // 2], 4)}

    t = time.perf_counter()
    if record:
        def number(x):
            return x.tolist()
        result = {
            "gradviz": 1,
            "outputs": outputs,
            "values": {k: number(values[k].detach()) for k in order},
            "grads": {k: number(values[k].grad) for k in order if values[k].grad is not None},
            "edges": [{"from": f, "to": to, "slot": s, "grad": number(v.grad)} for f, to, s, v in edges if v.grad is not None],
        }
        with open(args.output, "w") as f:
            json.dump(result, f, separators=(",", ":"))
            f.write("\n")
    t_write = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"engine": "torch " + torch.__version__, "threads": torch.get_num_threads(),
                      "import": round(T_IMPORT, 4), "build": round(t_build, 4), "forward": round(t_forward, 4),
                      "backward": round(t_backward, 4), **warm, "write": round(t_write, 4),
                      "total": round(time.perf_counter() - T0, 4), "peak_mib": round(peak, 1)}))


if __name__ == "__main__":
    main()
