#!/usr/bin/env bash
# Render benchmark: random scalar DAG models of 100..10,000 ops, drawn by
# `gradviz m.json -o out.svg` (release build), and `dot -Tsvg` on gradviz's own DOT
# output for comparison. Prints a Markdown table of wall time and peak memory.
#
#   bench/render/run.sh                 # sizes 100 300 1000 2000 5000 10000
#   bench/render/run.sh 100 1000        # chosen sizes
#   TIMEOUT=600 bench/render/run.sh     # per-run limit in seconds (default 300)
#   CHAINS="100 300 620" bench/render/run.sh 1000
#                                       # then shared-input chains (gen_chain.py) of these
#                                       # lengths (default 100 300 620; CHAINS= for none)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
scratch=${SCRATCH:-$root/.build-render}
timeout_s=${TIMEOUT:-300}
sizes=("$@")
read -r -a chains <<< "${CHAINS-100 300 620}"
[ ${#sizes[@]} -eq 0 ] && sizes=(100 300 1000 2000 5000 10000)
swift build -c release --scratch-path "$scratch" --product gradviz >/dev/null
bin="$scratch/release/gradviz"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# wall seconds and peak RSS (MB) of a command, or "timeout"
measure() {
  local log="$work/time.log"
  if timeout "$timeout_s" /usr/bin/time -v "$@" >"$work/out.log" 2>"$log"; then
    local wall rss
    wall=$(grep "Elapsed (wall clock)" "$log" | awk '{print $NF}' | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
    rss=$(grep "Maximum resident" "$log" | awk '{printf "%.0f", $NF/1024}')
    echo "$wall s | $rss MB"
  else
    echo "failed or over ${timeout_s} s | -"
  fi
}

echo "| ops | drawn nodes | gradviz → svg: wall | peak RSS | dot -Tsvg on the same DOT: wall | peak RSS | notes |"
echo "|---|---|---|---|---|---|---|"
rows=()
for n in "${sizes[@]}"; do rows+=("dag $n"); done
for n in "${chains[@]}"; do rows+=("chain $n"); done
for row in "${rows[@]}"; do
  read -r shape n <<< "$row"
  python3 "$here/gen_$shape.py" "$n" > "$work/m.json"
  [ "$shape" = chain ] && label="$n (shared-input chain)" || label="$n"
  g=$(measure "$bin" "$work/m.json" -o "$work/out.svg")
  notes=$(grep -h "gradviz:" "$work/out.log" "$work/time.log" 2>/dev/null | grep -v "laying out\|layout done" | head -1 | sed 's/|/\\|/g' || true)
  "$bin" "$work/m.json" -o "$work/out.dot" 2>/dev/null || true
  drawn=$(grep -o 'class="node' "$work/out.svg" 2>/dev/null | wc -l)
  if [ -s "$work/out.dot" ]; then d=$(measure dot -Tsvg "$work/out.dot" -o "$work/dot.svg"); else d="-"; fi
  echo "| $label | $drawn | $g | $d | $notes |"
done
