"""samples/pytorch.ipynb runs from top to bottom (nbclient), so it never rots."""

import os

import nbclient
import nbformat


def test_notebook_runs_and_finds_the_wrong_backward(root):
    samples = os.path.join(root, "samples")
    nb = nbformat.read(os.path.join(samples, "pytorch.ipynb"), as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
    nbclient.NotebookClient(nb, timeout=300, kernel_name="python3", record_timing=False,
                            resources={"metadata": {"path": samples}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    svgs = [o for o in outputs if "image/svg+xml" in o.get("data", {})]
    assert len(svgs) == 2                     # the model drawn, the check drawing
    assert "check&#45;failed" in svgs[1]["data"]["image/svg+xml"]
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "custom autograd.Function Swish" in text and "every gradient agrees" in text
