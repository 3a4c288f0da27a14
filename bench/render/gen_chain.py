#!/usr/bin/env python3
"""Writes a chain of N ops that all read one shared input: v0 = x*x, v_i = v_(i-1) * x
(the shape of weights shared across the steps of an unrolled RNN). dot routes every use
of x across all the ranks before it unless gradviz draws far uses by reference."""
import json, sys

n = int(sys.argv[1])
nodes = [{"id": "v0", "op": "mul", "inputs": ["x", "x"]}]
nodes += [{"id": f"v{i}", "op": "mul", "inputs": [f"v{i-1}", "x"]} for i in range(1, n)]
json.dump({"gradviz": 1, "name": f"chain{n}", "inputs": {"x": 1.0001}, "nodes": nodes}, sys.stdout)
