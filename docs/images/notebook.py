"""Runs samples/pytorch.ipynb (nbclient), saves it with its outputs, and writes its drawings
to docs/images/notebook-*.svg for the README. Needs torch, nbclient, ipykernel and the built
gradviz (.build/debug/gradviz or $GRADVIZ). Usage: python3 docs/images/notebook.py"""

import os

import nbclient
import nbformat

here = os.path.dirname(os.path.abspath(__file__))
samples = os.path.join(here, "..", "..", "samples")
path = os.path.join(samples, "pytorch.ipynb")
nb = nbformat.read(path, as_version=4)
nbclient.NotebookClient(nb, timeout=600, kernel_name="python3", record_timing=False, resources={"metadata": {"path": samples}}).execute()
nbformat.write(nb, path)
svgs = [o["data"]["image/svg+xml"] for c in nb.cells for o in c.get("outputs", []) if "image/svg+xml" in o.get("data", {})]
for name, svg in zip(["notebook-draw", "notebook-check"], svgs):
    with open(os.path.join(here, name + ".svg"), "w", encoding="utf-8") as f:
        f.write(svg)
print("wrote %s and %d drawings" % (path, len(svgs)))
