#!/usr/bin/env python3
"""Writes an unrolled RNN of T steps (h_t = tanh(W·h_(t-1) + U·x_t + b), one shared
W, U, b; loss = sum of the last state): the shape of weights shared across steps."""
import json, random, sys

steps = int(sys.argv[1]) if len(sys.argv) > 1 else 12
rng = random.Random(0)
def vec(n): return [round(rng.uniform(-1, 1), 3) for _ in range(n)]
def mat(r, c): return [vec(c) for _ in range(r)]
inputs = {"W": mat(3, 3), "U": mat(3, 2), "b": vec(3), "h0": {"value": vec(3), "grad": False}}
nodes = []
for t in range(1, steps + 1):
    inputs[f"x{t}"] = {"value": vec(2), "grad": False}
    nodes.append({"id": f"h{t}", "expr": f"tanh(matmul(W, h{t-1}) + matmul(U, x{t}) + b)"})
nodes.append({"id": "L", "op": "sum", "inputs": [f"h{steps}"]})
json.dump({"gradviz": 1, "name": f"rnn{steps}", "description": f"an RNN unrolled over {steps} steps",
           "inputs": inputs, "nodes": nodes, "outputs": ["L"]}, sys.stdout, indent=1)
