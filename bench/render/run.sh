#!/usr/bin/env bash
# Render benchmark: random scalar DAG models drawn whole (`--max-nodes 1000000`: every
# value and every gradient, nothing folded) by `gradviz m.json -o out.svg` (release
# build; --layout auto, which takes the layered layout past dot's budget), and the same
# graph with `--layout dot` in the same run. Prints a Markdown table of wall time, CPU
# time and peak memory.
#
#   bench/render/run.sh                   # sizes 100 300 1000 2000 10000 100000
#   bench/render/run.sh 100 1000          # chosen sizes
#   TIMEOUT=600 bench/render/run.sh       # per-run limit in seconds (default 300)
#   DOT_MAX=2000 bench/render/run.sh      # largest size dot is asked to lay out (default 10000)
#   CHAINS="100 300 620" bench/render/run.sh 1000
#                                         # then shared-input chains (gen_chain.py) of these
#                                         # lengths (default 100 300 620; CHAINS= for none)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
scratch=${SCRATCH:-$root/.build-render}
timeout_s=${TIMEOUT:-300}
dot_max=${DOT_MAX:-10000}
sizes=("$@")
read -r -a chains <<< "${CHAINS-100 300 620}"
[ ${#sizes[@]} -eq 0 ] && sizes=(100 300 1000 2000 10000 100000)
swift build -c release --scratch-path "$scratch" --product gradviz >/dev/null
bin="$scratch/release/gradviz"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# "wall s | cpu s | peak MB" of a command, or "over N s" / "failed"
measure() {
  local log="$work/time.log"
  local status=0
  timeout "$timeout_s" /usr/bin/time -f "%e %U %S %M" -o "$log" "$@" >"$work/out.log" 2>"$work/err.log" || status=$?
  if [ "$status" -eq 0 ]; then
    read -r wall user sys rss < "$log"
    awk -v w="$wall" -v u="$user" -v s="$sys" -v r="$rss" 'BEGIN { printf "%.2f s | %.2f s | %.0f MB", w, u + s, r / 1024 }'
  elif [ "$status" -eq 124 ]; then
    echo "over ${timeout_s} s | - | -"
  else
    echo "failed ($status) | - | -"
  fi
}

echo "| ops | drawn nodes | layout | gradviz → svg: wall | CPU | peak RSS | --layout dot: wall | CPU | peak RSS |"
echo "|---|---|---|---|---|---|---|---|---|"
rows=()
for n in "${sizes[@]}"; do rows+=("dag $n"); done
for n in "${chains[@]}"; do rows+=("chain $n"); done
for row in "${rows[@]}"; do
  read -r shape n <<< "$row"
  python3 "$here/gen_$shape.py" "$n" > "$work/m.json"
  [ "$shape" = chain ] && label="$n (shared-input chain)" || label="$n"
  g=$(measure "$bin" "$work/m.json" -o "$work/out.svg" --max-nodes 1000000)
  if grep -q "layered layout" "$work/err.log" 2>/dev/null; then layout=layered; else layout=dot; fi
  drawn=$(grep -c 'class="node' "$work/out.svg" 2>/dev/null || echo -)
  if [ "$n" -le "$dot_max" ]; then
    d=$(measure "$bin" "$work/m.json" -o "$work/dot.svg" --max-nodes 1000000 --layout dot)
  else
    d="not run (DOT_MAX=$dot_max) | - | -"
  fi
  echo "| $label | $drawn | $layout | $g | $d |"
done
