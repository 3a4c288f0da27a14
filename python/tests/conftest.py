"""The Python tests use the repository's own gradviz build (.build/debug/gradviz, built
here when missing) unless $GRADVIZ names another."""

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "python"))


def _binary():
    if os.environ.get("GRADVIZ"):
        return os.environ["GRADVIZ"]
    path = os.path.join(ROOT, ".build", "debug", "gradviz")
    if not os.path.exists(path):
        subprocess.run(["swift", "build", "--product", "gradviz"], cwd=ROOT, check=True)
    return path


os.environ["GRADVIZ"] = _binary()


@pytest.fixture
def root():
    return ROOT
