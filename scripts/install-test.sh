#!/usr/bin/env bash
# `make install-test`: installs gradviz into a temporary prefix, runs the installed binary
# with a clean environment (env -i) from outside the checkout, checks that it needs nothing
# from the Swift toolchain, that `man` finds its page and that the completions load, then
# uninstalls and checks that nothing is left.
set -euo pipefail
cd "$(dirname "$0")/.."
checkout=$(pwd)
prefix=$(mktemp -d /tmp/gradviz-prefix.XXXXXX)
work=$(mktemp -d /tmp/gradviz-work.XXXXXX)
trap 'rm -rf "$prefix" "$work"' EXIT
fail() { echo "install-test: $*" >&2; exit 1; }

make --no-print-directory install PREFIX="$prefix" >/dev/null
bin=$prefix/bin/gradviz

# Nothing from the Swift toolchain or the checkout: ldd lists every library it loads.
toolchain=$(dirname "$(dirname "$(readlink -f "$(command -v "${SWIFT:-swift}")")")")
if ldd "$bin" | grep -E "not found|$toolchain|$checkout|libswift|libFoundation"; then
    fail "$bin needs the libraries above (toolchain $toolchain)"
fi

# Runs with an empty environment, from a directory outside the checkout.
cp samples/neuron.json "$work/model.json"
(cd "$work" && env -i "$bin" model.json -o graph.svg && env -i "$bin" model.json -o result.json) \
    || fail "the installed gradviz failed to draw"
grep -q "<svg" "$work/graph.svg" || fail "graph.svg is not an SVG"
grep -q '"grads"' "$work/result.json" || fail "result.json has no gradients"
out=$(cd "$work" && env -i "$bin" check model.json) || fail "check failed: $out"
[[ $out == *"all pass"* ]] || fail "check says: $out"
version=$(env -i "$bin" --version) && [[ -n $version ]] || fail "--version"
status=0; env -i "$bin" chek model.json 2>/dev/null || status=$?
[[ $status == 2 ]] || fail "a usage error exits $status, not 2"

# man finds the page by the prefix; it shows every subcommand.
page=$(env -i PATH=/usr/bin:/bin MANPATH="$prefix/share/man" MANWIDTH=100 man -P cat gradviz 2>/dev/null | sed $'s/.\b//g') \
    || fail "man gradviz: no page under $prefix/share/man"
for word in render check ops --focus --failures-only "EXIT STATUS"; do
    [[ $page == *"$word"* ]] || fail "the man page does not mention $word"
done

# The completions load in their shells (those that are installed here).
bash -c "source '$prefix/share/bash-completion/completions/gradviz' && complete -p gradviz" >/dev/null \
    || fail "the bash completion does not load"
if command -v zsh >/dev/null; then zsh -n "$prefix/share/zsh/site-functions/_gradviz" || fail "zsh completion"; fi
if command -v fish >/dev/null; then fish -n "$prefix/share/fish/vendor_completions.d/gradviz.fish" || fail "fish completion"; fi
grep -q "check" "$prefix/share/zsh/site-functions/_gradviz" || fail "zsh completion has no subcommands"
grep -q "check" "$prefix/share/fish/vendor_completions.d/gradviz.fish" || fail "fish completion has no subcommands"

make --no-print-directory uninstall PREFIX="$prefix" >/dev/null
left=$(find "$prefix" -type f)
[[ -z $left ]] || fail "uninstall left $left"
echo "install-test: installed, ran with env -i outside the checkout, man page and completions found, uninstalled"
