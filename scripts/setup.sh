#!/usr/bin/env bash
# Installs what gradviz needs from Debian, if it is missing: Graphviz's C libraries
# (libcgraph, libgvc, with headers and pkg-config data) and their plugins, and OpenBLAS
# (matmul and convolution; cblas.h and openblas.pc). With --browser-tests, --install-test or
# --python-tests, also what those tests need (make test).
set -euo pipefail

have_graphviz() { pkg-config --exists libgvc 2>/dev/null && [ -f /usr/include/graphviz/gvc.h ]; }
have_openblas() { pkg-config --exists openblas 2>/dev/null; }

# Installs Debian packages ($2...) as root, or says which to install; $1 says who needs them.
apt_install() {
    local who=$1; shift
    if [ "$(id -u)" -ne 0 ]; then
        echo "$who need: $*. Run: sudo apt-get install -y $*" >&2
        exit 1
    fi
    echo "setup: installing $*" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "$@" >/dev/null
}

if ! have_graphviz || ! have_openblas; then
    apt_install "gradviz and its tests" libgraphviz-dev graphviz pkg-config fonts-dejavu-core libopenblas-dev
fi

# With --browser-tests (make test): what the explorer's browser tests need: headless
# Chromium driven by selenium from pytest, and Firefox driven over WebDriver BiDi.
test_packages=""
if [ "${1:-}" = "--browser-tests" ]; then
    command -v chromium >/dev/null || test_packages="$test_packages chromium"
    command -v chromedriver >/dev/null || test_packages="$test_packages chromium-driver"
    command -v firefox-esr >/dev/null || command -v firefox >/dev/null || test_packages="$test_packages firefox-esr"
fi
# With --install-test (make test): `man`, to read the installed page as a user would.
if [ "${1:-}" = "--install-test" ]; then
    command -v man >/dev/null || test_packages="$test_packages man-db"
fi
# shellcheck disable=SC2086 # the list splits into packages
[ -z "$test_packages" ] || apt_install "the tests" $test_packages

# Without the plugin configuration Graphviz recognizes no layout and no format;
# Debian's postinst writes it, `dot -c` rewrites it.
config=$(ls /usr/lib/*/graphviz/config6* 2>/dev/null | head -n 1 || true)
if [ -z "$config" ] && command -v dot >/dev/null && [ "$(id -u)" -eq 0 ]; then
    dot -c
fi

# Python modules go in with pip for the python3 the tests run (on this kind of machine a
# pyenv Python, which cannot import what Debian's python3-* packages install).
python=${PYTHON:-python3}
need_python_modules() {  # $1: modules to import, $2: the pip packages that bring them
    "$python" -c "import $1" 2>/dev/null && return 0
    command -v "$python" >/dev/null || apt_install "the tests" python3 python3-pip
    echo "setup: installing $2 (pip)" >&2
    # Debian's own Python refuses pip installs outside a virtual environment (PEP 668).
    extra=$("$python" -c "import sys, sysconfig, os; print('--break-system-packages' if os.path.exists(os.path.join(sysconfig.get_paths()['stdlib'], 'EXTERNALLY-MANAGED')) and sys.prefix == sys.base_prefix else '')")
    "$python" -m pip install -q $extra $2
}

case "${1:-}" in
    # selenium drives Chromium; websocket-client speaks WebDriver BiDi to Firefox.
    --browser-tests) need_python_modules "selenium, pytest, websocket" "selenium pytest websocket-client" ;;
    # gradviz_torch's tests (python/tests): torch (CPU use; PyPI's wheel), pytest, and
    # nbclient + ipykernel to run samples/pytorch.ipynb.
    --python-tests) need_python_modules "torch, pytest, nbclient, nbformat, ipykernel" "torch pytest nbclient nbformat ipykernel" ;;
esac
