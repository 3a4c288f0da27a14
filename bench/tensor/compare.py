#!/usr/bin/env python3
"""The tensor benchmark: gradviz against PyTorch (float64, CPU) on the models of
bench/tensor, alternating the two in every round so both see the same machine.

    python3 bench/tensor/compare.py [--rounds 3] [--models matmul-1200,cnn,...] [--check]

For each model and round:
  compute   forward and backward in process, warm: `gradviz-bench tensor M --reps 3` and
            `torch_model.py M --reps 3` (medians of the 3)
  process   the whole process, cold, wall clock, CPU time (user + sys) and peak RSS
            (/usr/bin/time; the machine may be shared, and CPU time is disturbed less):
            `gradviz M -o result.json`, with its breakdown (GRADVIZ_TIMING=1), and
            `torch_model.py M` (import, inputs, forward, backward, no file); in the first
            round only (it is slow: Python's json), `torch_model.py M -o result.json`,
            the same file as gradviz's (every value, gradient and edge gradient)
  floor     (unless --no-floor) `dd` writing as many bytes as gradviz's result file into a
            new file, wall clock and CPU time: what writing the file costs on this machine
            with no formatting at all
Prints the medians over rounds as a Markdown table. --check compares the two result
files of the first round (bench/compare_results.py, rtol 1e-8); every round's gradviz
result file must be byte-identical to the first. Needs a release build of both products
(`swift build` builds only the last of several --product options):
swift build -c release --scratch-path .build-bench --product gradviz
swift build -c release --scratch-path .build-bench --product gradviz-bench
"""
import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BIN = os.environ.get("BIN", os.path.join(ROOT, ".build-bench", "release"))
OUT = os.path.join(ROOT, "bench", "out", "tensor")
MODELS = ["matmul-1200", "matmul-3000", "cnn", "resnet18", "transformer"]


def timed(cmd, env=None):
    """Wall seconds, CPU seconds (user + sys), peak RSS (MiB), stdout and stderr of a whole command."""
    t = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-f", "%M %U %S"] + cmd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t
    if p.returncode != 0:
        sys.exit(f"compare.py: {' '.join(cmd)} failed:\n{p.stderr}")
    peak_kb, user, system = p.stderr.strip().splitlines()[-1].split()
    return wall, float(user) + float(system), int(peak_kb) / 1024, p.stdout, p.stderr


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 24):
            h.update(chunk)
    return h.hexdigest()


def phases(stderr):
    """GRADVIZ_TIMING lines ('gradviz: json 12.3 ms') as {phase: seconds}."""
    out = {}
    for line in stderr.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[0] == "gradviz:" and parts[3] == "ms":
            out[parts[1]] = float(parts[2]) / 1000
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--no-floor", action="store_true", help="skip timing dd of the result file's size")
    ap.add_argument("--torch-file", default="matmul-1200,cnn,transformer",
                    help="models for which PyTorch also writes the result file (minutes for the largest)")
    args = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    py = sys.executable
    torch_model = os.path.join(HERE, "torch_model.py")
    env = dict(os.environ, GRADVIZ_TIMING="1")
    load = open("/proc/loadavg").read().split()[:3]
    print(f"{args.rounds} rounds; {os.cpu_count()} cores; load {' '.join(load)}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
          file=sys.stderr)
    rows = []
    for name in args.models.split(","):
        model = os.path.join(HERE, name + ".json")
        r = {k: [] for k in ("g_fw", "g_bw", "t_fw", "t_bw", "g_wall", "t_wall", "g_cpu", "t_cpu", "g_peak", "t_peak", "g_cpeak", "t_cpeak", "dd_wall", "dd_cpu")}
        first = None
        g_phases, t_parts = [], []
        for rnd in range(args.rounds):
            _, _, _, out, _ = timed([os.path.join(BIN, "gradviz-bench"), "tensor", model, "--reps", "3", "--json", "--quiet"])
            g = json.loads(out)["tensor"]
            r["g_fw"].append(g["forward_s"]); r["g_bw"].append(g["backward_s"]); r["g_cpeak"].append(g["peak_rss_bytes"] / 2**20)
            _, _, _, out, _ = timed([py, torch_model, model, "--reps", "3"])
            t = json.loads(out)
            r["t_fw"].append(t["forward_warm"]); r["t_bw"].append(t["backward_warm"]); r["t_cpeak"].append(t["peak_mib"])
            gres, tres = os.path.join(OUT, name + "-gradviz.json"), os.path.join(OUT, name + "-torch.json")
            wall, cpu, peak, _, err = timed([os.path.join(BIN, "gradviz"), model, "-o", gres], env)
            r["g_wall"].append(wall); r["g_cpu"].append(cpu); r["g_peak"].append(peak); g_phases.append(phases(err))
            digest = sha256(gres)
            if first is None:
                first = digest
            elif digest != first:
                sys.exit(f"compare.py: {name}: gradviz's result file differs from the first round's")
            if not args.no_floor:
                floor = os.path.join(OUT, name + "-dd.bin")
                mib = -(-os.path.getsize(gres) // 2**20)
                dd_wall, dd_cpu, _, _, _ = timed(["dd", "if=/dev/zero", f"of={floor}", "bs=1M", f"count={mib}", "status=none"])
                os.remove(floor)
                r["dd_wall"].append(dd_wall); r["dd_cpu"].append(dd_cpu)
            wall, cpu, peak, out, _ = timed([py, torch_model, model])
            r["t_wall"].append(wall); r["t_cpu"].append(cpu); r["t_peak"].append(peak); t_parts.append(json.loads(out))
            t_file = t_file_peak = t_file_write = float("nan")
            if rnd == 0 and name in args.torch_file.split(","):
                t_file, _, t_file_peak, out, _ = timed([py, torch_model, model, "-o", tres])
                t_file_write = json.loads(out)["write"]
                if args.check:
                    subprocess.run([py, os.path.join(ROOT, "bench", "compare_results.py"), gres, tres, "--rtol", "1e-8"], check=True)
                os.remove(tres)
            if rnd == 0:
                file_times = (t_file, t_file_peak, t_file_write)
            print(f"{name} round {rnd + 1}: compute gradviz {g['forward_s'] + g['backward_s']:.3f} s, torch "
                  f"{t['forward_warm'] + t['backward_warm']:.3f} s; process gradviz {r['g_wall'][-1]:.2f} s ({r['g_cpu'][-1]:.2f} s CPU), "
                  f"torch {wall:.2f} s ({cpu:.2f} s CPU) "
                  f"(with the result file {file_times[0]:.2f} s)"
                  + ("" if args.no_floor else f"; dd of the result's size {r['dd_wall'][-1]:.2f} s ({r['dd_cpu'][-1]:.2f} s CPU)"), file=sys.stderr)
        m = {k: statistics.median(v) if v else float("nan") for k, v in r.items()}
        gp = {k: statistics.median(p.get(k, 0) for p in g_phases) for k in ("graph", "backward", "json", "write")}
        tp = {k: statistics.median(p[k] for p in t_parts) for k in ("import", "forward", "backward")}
        size = os.path.getsize(os.path.join(OUT, name + "-gradviz.json")) / 2**20
        rows.append((name, m, gp, tp, size, file_times))
        with open(os.path.join(OUT, f"results-{name}.json"), "w") as f:
            json.dump({"raw": r, "gradviz_phases": g_phases, "torch_parts": t_parts, "torch_file": file_times}, f)

    print("| model | compute: gradviz (fw + bw) | PyTorch | ratio | process: gradviz -o result.json, wall (CPU) | PyTorch, no file | ratio wall (CPU) | PyTorch, same file | peak RSS: gradviz / PyTorch (process, no file) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, m, gp, tp, size, (t_file, t_file_peak, _) in rows:
        gc, tc = m["g_fw"] + m["g_bw"], m["t_fw"] + m["t_bw"]
        print(f"| {name} | {gc:.3f} s ({m['g_fw']:.3f} + {m['g_bw']:.3f}) | {tc:.3f} s ({m['t_fw']:.3f} + {m['t_bw']:.3f}) | {gc / tc:.2f} "
              f"| {m['g_wall']:.2f} s ({m['g_cpu']:.2f} s) | {m['t_wall']:.2f} s ({m['t_cpu']:.2f} s) "
              f"| {m['g_wall'] / m['t_wall']:.2f} ({m['g_cpu'] / m['t_cpu']:.2f}) | {t_file:.1f} s "
              f"| {m['g_peak']:.0f} / {m['t_peak']:.0f} MiB |")
    print()
    print("Where the whole process goes (medians, s), result file size:")
    for name, m, gp, tp, size, (_, _, t_file_write) in rows:
        print(f"- {name} ({size:.0f} MiB of JSON): gradviz graph+forward {gp['graph']:.2f}, backward {gp['backward']:.2f}, "
              f"JSON formatted and written {gp['json'] + gp['write']:.2f}; PyTorch import {tp['import']:.2f}, forward {tp['forward']:.2f}, "
              f"backward {tp['backward']:.2f}; its result file {t_file_write:.1f}; "
              f"dd writing as many bytes {m['dd_wall']:.2f} ({m['dd_cpu']:.2f} CPU)")
    end_load = open("/proc/loadavg").read().split()[:3]
    print(f"\nload average at the start {' '.join(load)}, at the end {' '.join(end_load)}")


if __name__ == "__main__":
    main()
