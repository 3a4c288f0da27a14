#!/usr/bin/env python3
"""Checks that two result JSON files agree: every value and gradient of the first
(and every edge, when both have edges) within a relative tolerance.

Usage: python3 bench/compare_results.py A.json B.json [--rtol 1e-9]
"""
import argparse
import json
import math
import sys


def close(a, b, rtol):
    if isinstance(a, list) or isinstance(b, list):
        return isinstance(a, list) and isinstance(b, list) and len(a) == len(b) and all(close(x, y, rtol) for x, y in zip(a, b))
    a, b = float(a), float(b)
    return a == b or math.isclose(a, b, rel_tol=rtol, abs_tol=rtol)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--rtol", type=float, default=1e-9)
    args = ap.parse_args()
    a, b = json.load(open(args.a)), json.load(open(args.b))
    bad = 0
    for section in ("values", "grads"):
        for k, v in a[section].items():
            if k not in b[section] or not close(v, b[section][k], args.rtol):
                if bad < 10:
                    print(f"{section}[{k}]: {v} vs {b[section].get(k)}")
                bad += 1
        print(f"{section}: {len(a[section])} entries in A, {len(b[section])} in B")
    if "edges" in a and "edges" in b:
        eb = {(e["from"], e["to"], e["slot"]): e["grad"] for e in b["edges"]}
        for e in a["edges"]:
            key = (e["from"], e["to"], e["slot"])
            if key not in eb or not close(e["grad"], eb[key], args.rtol):
                if bad < 10:
                    print(f"edge {key}: {e['grad']} vs {eb.get(key)}")
                bad += 1
        print(f"edges: {len(a['edges'])} in A, {len(b['edges'])} in B")
    print("agree" if bad == 0 else f"{bad} differences")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
