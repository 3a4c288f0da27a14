#!/usr/bin/env bash
# Regenerates the sample drawings: samples/NAME.json -> NAME.svg, and the PyTorch
# reference models Tests/Fixtures/reference/NAME.json -> reference-NAME.svg, plus PNGs
# of a few. Usage: docs/images/render.sh [path/to/gradviz]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${1:-$root/.build-render/debug/gradviz}
for f in "$root"/samples/*.json; do
  [ -e "$f" ] || continue
  n=$(basename "$f" .json)
  # The unrolled LSTM is a long chain: left to right it is ~10,000 px wide.
  case "$n" in lstm) args=(--rankdir TB);; *) args=();; esac
  "$bin" "$f" -o "$here/$n.svg" "${args[@]}"
done
for f in "$root"/Tests/Fixtures/reference/*.json; do
  case "$f" in *.expected.json) continue;; esac
  n=$(basename "$f" .json)
  "$bin" "$f" -o "$here/reference-$n.svg"
done
"$bin" "$root/Tests/Fixtures/reference/fanout_scalar.json" -o "$here/reference-fanout_scalar.png"
for n in mlp swish_wrong_backward; do
  [ -e "$root/samples/$n.json" ] && "$bin" "$root/samples/$n.json" -o "$here/$n.png"
done
"$bin" "$root/Tests/Fixtures/reference/fanout_scalar.json" -o "$here/reference-fanout_scalar-dark-TB.png" --theme dark --rankdir TB
# Folding by structure past --max-nodes: the 12 steps of an RNN, one drawn, eleven in one box.
"$bin" "$root/samples/folding/rnn12.json" -o "$here/folded-rnn12.png" --max-nodes 80 2> /dev/null
# gradviz check reports: the wrong backward fails (exit status 1), the fixed one passes.
"$bin" check "$root/samples/swish_wrong_backward.json" -o "$here/check-swish_wrong_backward.svg" > /dev/null || true
"$bin" check "$root/samples/swish_fixed_backward.json" -o "$here/check-swish_fixed_backward.svg" > /dev/null
exit 0
