"""gradviz_torch: draw a PyTorch model with gradviz, and check its custom backwards.

    import gradviz_torch as gv
    gv.draw(model, (x,), loss=lambda out: F.cross_entropy(out, y))   # shows in Jupyter
    gv.check(model, (x,), loss=...)        # gradviz's gradients vs PyTorch autograd's
    gv.export(model, (x,)).save("model.json")

Everything is computed in float64. The gradviz binary is found on PATH, in $GRADVIZ, or
passed as gradviz="path/to/gradviz".
"""

from ._binary import Drawing, find_binary
from ._check import CheckResult, check
from ._errors import ExportError, GradvizError, GradvizTorchError, UnsupportedOpError
from ._export import Exported, export
from . import _binary

__all__ = ["export", "draw", "check", "Drawing", "Exported", "CheckResult",
           "GradvizTorchError", "ExportError", "UnsupportedOpError", "GradvizError", "find_binary"]


def draw(model, args, loss=None, format="svg", gradviz=None, rankdir=None, theme=None, view=None, precision=None):
    """Exports the model (see `export`), runs gradviz on it and returns a `Drawing`: it
    shows itself in Jupyter (SVG, PNG, or the HTML explorer for format="html" where
    gradviz has it) and `.save(path)` writes it. Errors of the binary raise GradvizError
    with gradviz's one-line message."""
    exported = export(model, args, loss)
    name = exported["name"]
    data = _binary.run(exported, format, _binary.options_from(rankdir, theme, view, precision),
                       gradviz=gradviz, name=name)
    return Drawing(data, format, name)
