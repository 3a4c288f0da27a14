#!/usr/bin/env bash
# The end-to-end comparison: one model file with N scalar ops, from file to gradients
# file, in gradviz (bench pipeline and the real CLI), micrograd and PyTorch eager.
#
#   bash bench/compare.sh [OPS] [RUNS]      (defaults: 100000 ops, 5 runs)
#
# Needs: a release build (swift build -c release --scratch-path .build-bench --product
# gradviz-bench --product gradviz), python3, `pip install micrograd`; PyTorch is used
# when `import torch` works. Prints one line per run and the medians.
#
# Each command runs once untimed first (as hyperfine's --warmup 1 does): the file cache
# then holds the model, the binaries and torch's libraries, and memory a build has just
# freed is settled, for every tool alike.
set -euo pipefail
cd "$(dirname "$0")/.."
OPS=${1:-100000}
RUNS=${2:-5}
BIN=${BIN:-.build-bench/release}
OUT=bench/out
MODEL=$OUT/dag-$OPS.json
mkdir -p "$OUT"
[ -f "$MODEL" ] || python3 bench/gen_dag.py --ops "$OPS" -o "$MODEL"

wall() {  # wall-clock seconds of a whole command (process start to exit)
    local t0 t1
    t0=$(date +%s.%N); "$@" > /dev/null; t1=$(date +%s.%N)
    python3 -c "print(f'{$t1 - $t0:.3f}')"
}
median() { python3 -c "import sys, statistics; print(f'{statistics.median(map(float, sys.argv[1:])):.3f}')" "$@"; }

echo "model: $MODEL ($OPS ops); $RUNS runs each; machine: $(nproc) cores; load: $(cut -d' ' -f1-3 /proc/loadavg)"

if [ -x "$BIN/gradviz" ]; then
    "$BIN/gradviz" "$MODEL" -o "$OUT/result-gradviz-cli.json"
    ws=(); for _ in $(seq "$RUNS"); do ws+=("$(wall "$BIN/gradviz" "$MODEL" -o "$OUT/result-gradviz-cli.json")"); done
    echo "gradviz CLI (whole process, model.json -o result.json):  ${ws[*]}  median $(median "${ws[@]}") s"
fi

"$BIN/gradviz-bench" file "$MODEL" -o "$OUT/result-swift.json" --reps "$RUNS" --json --quiet > "$OUT/file-swift.json"
python3 - "$OUT/file-swift.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))["file"]["median"]
print("gradviz-bench file (in process): " + ", ".join(f"{k[:-2]} {v:.3f}" for k, v in d.items()) + " s")
PY

mg=(); mgc=()
python3 bench/micrograd_dag.py "$MODEL" -o "$OUT/result-micrograd.json" --json > /dev/null
for _ in $(seq "$RUNS"); do
    ws=$(wall python3 bench/micrograd_dag.py "$MODEL" -o "$OUT/result-micrograd.json" --json)
    python3 bench/micrograd_dag.py "$MODEL" -o "$OUT/result-micrograd.json" --json > "$OUT/micrograd.json"
    mg+=("$ws"); mgc+=("$(python3 -c "import json; print(json.load(open('$OUT/micrograd.json'))['total_s'])")")
done
echo "micrograd (whole process):                 ${mg[*]}  median $(median "${mg[@]}") s"
echo "micrograd (in process, read to write):     median $(median "${mgc[@]}") s"

if python3 -c "import torch" 2>/dev/null; then
    tw=(); tc=(); ti=()
    python3 bench/torch_dag.py "$MODEL" -o "$OUT/result-torch.json" --json > /dev/null
    for _ in $(seq "$RUNS"); do
        tw+=("$(wall python3 bench/torch_dag.py "$MODEL" -o "$OUT/result-torch.json" --json)")
        python3 bench/torch_dag.py "$MODEL" -o "$OUT/result-torch.json" --json > "$OUT/torch.json"
        tc+=("$(python3 -c "import json; print(json.load(open('$OUT/torch.json'))['total_s'])")")
        ti+=("$(python3 -c "import json; print(json.load(open('$OUT/torch.json'))['import_s'])")")
    done
    echo "PyTorch eager (whole process):             ${tw[*]}  median $(median "${tw[@]}") s"
    echo "PyTorch eager (in process, read to write): median $(median "${tc[@]}") s; import torch median $(median "${ti[@]}") s"
else
    echo "PyTorch: not installed (import torch failed)"
fi

echo "results agree?"
python3 bench/compare_results.py "$OUT/result-swift.json" "$OUT/result-micrograd.json" | tail -1
[ -f "$OUT/result-torch.json" ] && python3 bench/compare_results.py "$OUT/result-swift.json" "$OUT/result-torch.json" | tail -1
[ -f "$OUT/result-gradviz-cli.json" ] && python3 bench/compare_results.py "$OUT/result-gradviz-cli.json" "$OUT/result-micrograd.json" | tail -1
