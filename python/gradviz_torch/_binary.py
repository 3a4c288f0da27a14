"""Running the gradviz command line, and what it draws."""

from __future__ import annotations

import html
import json
import os
import shutil
import subprocess
import tempfile

from ._errors import GradvizError

FORMATS = ("svg", "png", "pdf", "dot", "html", "json")


def find_binary(gradviz=None):
    """The gradviz executable: `gradviz` if given, else $GRADVIZ, else `gradviz` on PATH."""
    path = gradviz or os.environ.get("GRADVIZ") or shutil.which("gradviz")
    if not path:
        raise GradvizError("the gradviz command is not on PATH: build it (swift build --product gradviz) "
                           "and pass gradviz='path/to/gradviz' or set GRADVIZ")
    path = os.fspath(path)
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        raise GradvizError("%s: not an executable gradviz" % path)
    return path


def run(model_json, fmt, options=(), gradviz=None, name="model"):
    """Runs `gradviz MODEL -o OUT.fmt OPTIONS...` on a model dict; returns the output bytes.

    A failure raises GradvizError with gradviz's one-line message (the temporary file's
    path in it replaced by `name.json`).
    """
    if fmt not in FORMATS:
        raise ValueError("format must be one of %s, got %r" % (", ".join(FORMATS), fmt))
    binary = find_binary(gradviz)
    with tempfile.TemporaryDirectory(prefix="gradviz-torch-") as tmp:
        src = os.path.join(tmp, "model.json")
        out = os.path.join(tmp, "out." + fmt)
        with open(src, "w", encoding="utf-8") as f:
            json.dump(model_json, f, ensure_ascii=False, allow_nan=False)
        proc = subprocess.run([binary, src, "-o", out] + list(options), capture_output=True)
        if proc.returncode != 0:
            lines = [l for l in proc.stderr.decode("utf-8", "replace").splitlines() if l.strip()]
            message = lines[-1] if lines else "gradviz exited with status %d" % proc.returncode
            raise GradvizError(message.replace(src, name + ".json"), status=proc.returncode)
        with open(out, "rb") as f:
            return f.read()


def write_atomically(path, data):
    """Writes bytes to `path` through a temporary file beside it: a partial file never
    appears, and a failure leaves what was there. Returns the path."""
    path = os.fspath(path)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)), prefix=".gradviz-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        # mkstemp makes the file private (0600); a saved drawing gets the usual mode.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def options_from(rankdir=None, theme=None, view=None, precision=None, extra=()):
    opts = []
    for flag, v in (("--rankdir", rankdir), ("--theme", theme), ("--view", view), ("--precision", precision)):
        if v is not None:
            opts += [flag, str(v)]
    return opts + list(extra)


class Drawing:
    """A drawing made by gradviz: shows itself in Jupyter, `save(path)` writes it.

    `data` holds the bytes, `format` the format (svg, png, pdf, dot, html).
    """

    def __init__(self, data, format, name="model"):
        self.data = data
        self.format = format
        self.name = name

    def save(self, path):
        """Writes the drawing to `path` (atomically) and returns the path."""
        return write_atomically(path, self.data)

    @property
    def text(self):
        return self.data.decode("utf-8")

    def _repr_svg_(self):
        return self.text if self.format == "svg" else None

    def _repr_png_(self):
        return self.data if self.format == "png" else None

    def _repr_html_(self):
        if self.format == "html":
            # The explorer is a whole page: an iframe keeps its scripts and styles apart.
            return ('<iframe style="width:100%%;height:640px;border:0" sandbox="allow-scripts" srcdoc="%s"></iframe>'
                    % html.escape(self.text, quote=True))
        return None

    def __repr__(self):
        return "<gradviz Drawing of %s: %s, %d bytes>" % (self.name, self.format, len(self.data))
