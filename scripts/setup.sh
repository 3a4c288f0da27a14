#!/usr/bin/env bash
# Installs what gradviz needs from Debian, if it is missing: Graphviz's C libraries
# (libcgraph, libgvc, with headers and pkg-config data) and their plugins, and OpenBLAS
# (matmul and convolution; cblas.h and openblas.pc). With --browser-tests, --install-test or
# --python-tests, also what those tests need (make test).
set -euo pipefail

have_graphviz() { pkg-config --exists libgvc 2>/dev/null && [ -f /usr/include/graphviz/gvc.h ]; }
have_openblas() { pkg-config --exists openblas 2>/dev/null; }

if ! have_graphviz || ! have_openblas; then
    packages="libgraphviz-dev graphviz pkg-config fonts-dejavu-core libopenblas-dev"
    if [ "$(id -u)" -ne 0 ]; then
        echo "gradviz needs: $packages. Run: sudo apt-get install -y $packages" >&2
        exit 1
    fi
    echo "setup: installing $packages" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq $packages >/dev/null
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
if [ -n "$test_packages" ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "the tests need:$test_packages. Run: sudo apt-get install -y$test_packages" >&2
        exit 1
    fi
    echo "setup: installing$test_packages" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq $test_packages >/dev/null
fi

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
    if ! command -v "$python" >/dev/null; then
        if [ "$(id -u)" -ne 0 ]; then
            echo "the tests need python3 and pip. Run: sudo apt-get install -y python3 python3-pip" >&2
            exit 1
        fi
        echo "setup: installing python3 python3-pip" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq python3 python3-pip >/dev/null
    fi
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
