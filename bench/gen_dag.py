#!/usr/bin/env python3
"""Writes a random scalar DAG as a gradviz model.json (format version 1).

Deterministic: the same --ops and --seed give the same bytes on every machine
(Python's random.Random is a Mersenne Twister with a fixed algorithm; floats are
written with repr, the shortest round-trip form).

The DAG uses only ops that micrograd also has (add, mul, relu, and number
literals as constant inputs), so bench/micrograd_dag.py can run the same file:

- inputs: a few scalars x0..x{k-1};
- node i reads the value just before it (so every value is on the path to the
  output) and, for binary ops, one of the --window values before that, so
  values are read by several later nodes (fan-out);
- mix: 40% add, 40% mul, 20% relu. A binary op whose result would leave
  0.1 <= |y| <= 10 is replaced by a rescaling of the previous value (mul by a
  number literal, or add of +-1 when that value is 0), so values stay in a sane
  range over 10^5 ops and neither overflow nor become denormal;
- outputs: the last node (always an add, so its gradient reaches the inputs).

Usage: python3 bench/gen_dag.py --ops 100000 --seed 1 -o bench/out/dag-100000.json
"""
import argparse
import json
import random
import sys


def generate(ops, seed, inputs=4, window=10):
    rng = random.Random(seed)
    names = []
    values = []
    model_inputs = {}
    for k in range(inputs):
        name = f"x{k}"
        v = round(rng.uniform(-2, 2), 6)
        model_inputs[name] = v
        names.append(name)
        values.append(v)
    nodes = []
    counts = {"add": 0, "mul": 0, "relu": 0, "rescale": 0}
    for i in range(ops):
        last = len(values) - 1
        other = max(0, last - rng.randrange(window))
        x, y = (last, other) if rng.random() < 0.5 else (other, last)
        u = rng.random()
        if i == ops - 1:
            u = 0.3  # the output is an add of two values, never a relu
        node_id = f"v{i}"
        if u < 0.2:
            v = max(values[last], 0.0)
            node = {"id": node_id, "op": "relu", "inputs": [names[last]]}
            counts["relu"] += 1
        else:
            op = "add" if u < 0.6 else "mul"
            v = values[x] + values[y] if op == "add" else values[x] * values[y]
            node = {"id": node_id, "op": op, "inputs": [names[x], names[y]]}
            if 0.1 <= abs(v) <= 10 or i == ops - 1:
                counts[op] += 1
            else:
                p = values[last]
                if abs(p) < 1e-3:
                    c = 1.0 if rng.random() < 0.5 else -1.0
                    v = p + c
                    node = {"id": node_id, "op": "add", "inputs": [names[last], c]}
                else:
                    c = float(f"{rng.choice((1, -1)) * rng.uniform(0.5, 2) / abs(p):.3g}")
                    v = p * c
                    node = {"id": node_id, "op": "mul", "inputs": [names[last], c]}
                counts["rescale"] += 1
        nodes.append(node)
        names.append(node_id)
        values.append(v)
    model = {
        "gradviz": 1,
        "name": f"dag{ops}",
        "description": f"random scalar DAG: {ops} ops, window {window}, seed {seed}",
        "inputs": model_inputs,
        "nodes": nodes,
        "outputs": [names[-1]],
    }
    return model, counts, values[-1]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ops", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--window", type=int, default=10)
    ap.add_argument("-o", "--output", required=True)
    a = ap.parse_args()
    model, counts, out = generate(a.ops, a.seed, window=a.window)
    with open(a.output, "w") as f:
        json.dump(model, f, separators=(",", ":"))
        f.write("\n")
    edges = sum(1 for n in model["nodes"] for i in n["inputs"] if isinstance(i, str))
    print(f"{a.output}: {a.ops} ops ({counts}), {edges} edges between values, output {out!r}", file=sys.stderr)


if __name__ == "__main__":
    main()
