#!/usr/bin/env python3
"""Writes a random scalar DAG model of N ops (add/mul/tanh/relu/sub), each reading
values from the previous ~10, ending in one scalar loss. Deterministic for (N, seed)."""
import json, random, sys

n = int(sys.argv[1])
seed = int(sys.argv[2]) if len(sys.argv) > 2 else 0
rng = random.Random(seed)
inputs = {f"p{i}": round(rng.uniform(-1, 1), 4) for i in range(8)}
names = list(inputs)
nodes = []
for i in range(n - 1):
    window = names[-10:]
    op = rng.choice(["add", "mul", "sub", "tanh", "relu", "mul", "add"])
    if op in ("tanh", "relu"):
        args = [rng.choice(window)]
    else:
        args = [rng.choice(window), rng.choice(window)]
    name = f"v{i}"
    nodes.append({"id": name, "op": op, "inputs": args})
    names.append(name)
# One loss reading the last values, so (almost) everything is on a gradient path.
nodes.append({"id": "L", "expr": " + ".join(names[-4:])})
json.dump({"gradviz": 1, "name": f"dag{n}", "inputs": inputs, "nodes": nodes, "outputs": ["L"]}, sys.stdout)
