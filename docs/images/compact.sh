#!/usr/bin/env bash
# The before/after pictures of README's "Recurrent and shared-weight graphs": the 12-step
# RNN (bench/render/gen_rnn.py), the LSTM sample (top to bottom) and micrograd's MLP
# (bench/render/gen_mlp.py), each drawn by two gradviz binaries as PNG (the command's own
# output), then shrunk to 900 px wide to show the drawing's shape in the page.
# Also the 12-step RNN of composite cells (samples/folding/rnn12.json, each step a call's box)
# with the layered layout, left to right and top to bottom.
# Usage: docs/images/compact.sh BEFORE_GRADVIZ AFTER_GRADVIZ [NAME ...]
# NAMEs (rnn12 lstm mlp cells cells-tb) draw only those; BEFORE_GRADVIZ "-" draws only the after.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
before=$1 after=$2
shift 2
only=" $* "
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# ImageMagick's default policy refuses images this large; allow them for the shrinking.
cat > "$tmp/policy.xml" <<'XML'
<policymap>
  <policy domain="resource" name="memory" value="4GiB"/>
  <policy domain="resource" name="map" value="8GiB"/>
  <policy domain="resource" name="width" value="128KP"/>
  <policy domain="resource" name="height" value="128KP"/>
  <policy domain="resource" name="area" value="4GP"/>
  <policy domain="resource" name="disk" value="16GiB"/>
</policymap>
XML
python3 "$root/bench/render/gen_rnn.py" 12 > "$tmp/rnn12.json"
python3 "$root/bench/render/gen_mlp.py" > "$tmp/mlp.json"
draw() {  # name model when binary [options]
  local name=$1 model=$2 when=$3 bin=$4
  shift 4
  [ "$only" = "  " ] || [[ "$only" == *" $name "* ]] || return 0
  [ "$bin" != - ] || return 0
  "$bin" "$model" -o "$tmp/$name-$when.png" "$@" 2> /dev/null
  "$bin" "$model" -o "$tmp/$name-$when.svg" "$@" 2> /dev/null
  MAGICK_CONFIGURE_PATH=$tmp convert "$tmp/$name-$when.png" -resize '900x900>' -strip "$here/compact-$name-$when.png"
  echo "$name $when: $(grep -o 'width="[0-9]*pt" height="[0-9]*pt"' "$tmp/$name-$when.svg" | head -1)"
}
for when in before after; do
  bin=$before
  [ "$when" = after ] && bin=$after
  draw rnn12 "$tmp/rnn12.json" "$when" "$bin"
  draw lstm "$root/samples/lstm.json" "$when" "$bin" --rankdir TB
  draw mlp "$tmp/mlp.json" "$when" "$bin"
  draw cells "$root/samples/folding/rnn12.json" "$when" "$bin" --layout layered
  draw cells-tb "$root/samples/folding/rnn12.json" "$when" "$bin" --layout layered --rankdir TB
done
