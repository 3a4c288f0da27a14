#!/usr/bin/env python3
"""Writes micrograd's demo MLP as a gradviz model of scalar ops, built as micrograd's nn
builds it: MLP(3, [4, 4, 1]) (a neuron is ((b + w0*x0) + w1*x1) + ..., relu in the hidden
layers, linear at the end) on the four examples of Karpathy's micrograd lecture, with the
squared-error loss sum((y - t)^2). Every weight is read once per example, so each of the 41
parameters fans out to 4 uses: the shape of shared weights in a scalar graph.
Usage: gen_mlp.py [EXAMPLES] > mlp.json"""
import json, random, sys

examples = int(sys.argv[1]) if len(sys.argv) > 1 else 4
rng = random.Random(0)
xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
ts = [1.0, -1.0, -1.0, 1.0]
while len(xs) < examples:
    xs.append([round(rng.uniform(-2, 2), 2) for _ in range(3)])
    ts.append(rng.choice([1.0, -1.0]))
sizes = [3, 4, 4, 1]
inputs, nodes = {}, []
for l in range(len(sizes) - 1):
    for n in range(sizes[l + 1]):
        for i in range(sizes[l]):
            inputs[f"w{l + 1}_{n}_{i}"] = round(rng.uniform(-1, 1), 4)
        inputs[f"b{l + 1}_{n}"] = 0.0
losses = []
for e in range(examples):
    for i, v in enumerate(xs[e]):
        inputs[f"x{e}_{i}"] = {"value": v, "grad": False}
    inputs[f"t{e}"] = {"value": ts[e], "grad": False}
    x = [f"x{e}_{i}" for i in range(3)]
    for l in range(len(sizes) - 1):
        out = []
        for n in range(sizes[l + 1]):
            acc = f"b{l + 1}_{n}"
            for i in range(sizes[l]):
                p = f"m{e}_{l + 1}_{n}_{i}"
                nodes.append({"id": p, "op": "mul", "inputs": [f"w{l + 1}_{n}_{i}", x[i]]})
                s = f"s{e}_{l + 1}_{n}_{i}"
                nodes.append({"id": s, "op": "add", "inputs": [acc, p]})
                acc = s
            if l < len(sizes) - 2:
                nodes.append({"id": f"h{e}_{l + 1}_{n}", "op": "relu", "inputs": [acc]})
                acc = f"h{e}_{l + 1}_{n}"
            out.append(acc)
        x = out
    nodes.append({"id": f"d{e}", "op": "sub", "inputs": [x[0], f"t{e}"]})
    nodes.append({"id": f"q{e}", "op": "mul", "inputs": [f"d{e}", f"d{e}"]})
    losses.append(f"q{e}")
acc = losses[0]
for k, q in enumerate(losses[1:]):
    nodes.append({"id": f"L{k + 1}" if k + 2 < len(losses) else "loss", "op": "add", "inputs": [acc, q]})
    acc = nodes[-1]["id"]
json.dump({"gradviz": 1, "name": "micrograd_mlp", "description": "micrograd's MLP(3, [4, 4, 1]) on 4 examples, squared error",
           "inputs": inputs, "nodes": nodes, "outputs": [acc]}, sys.stdout, indent=1)
