"""python -m gradviz_torch FILE.py:FACTORY -o out.svg
python -m gradviz_torch check FILE.py:FACTORY [-o report.svg]

FACTORY is a function in FILE.py returning (model, args) or (model, args, loss).
Exit status: 0 success, 1 a check that disagrees, 2 bad input or usage.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys

from . import check, draw, export
from ._binary import write_atomically
from ._errors import GradvizTorchError


class UsageError(Exception):
    pass


def load_factory(spec):
    """`model.py:make` -> the function make of model.py, called: (model, args, loss)."""
    path, sep, name = spec.rpartition(":")
    if not sep or not path or not name:
        raise UsageError("%s: expected FILE.py:FACTORY" % spec)
    if not os.path.isfile(path):
        raise UsageError("%s: no such file" % path)
    module_spec = importlib.util.spec_from_file_location("_gradviz_torch_user_" + os.path.basename(path).split(".")[0], path)
    module = importlib.util.module_from_spec(module_spec)
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    try:
        module_spec.loader.exec_module(module)
    finally:
        sys.path.pop(0)
    factory = getattr(module, name, None)
    if not callable(factory):
        raise UsageError("%s: no function '%s'" % (path, name))
    made = factory()
    if not isinstance(made, tuple) or len(made) not in (2, 3):
        raise UsageError("%s:%s must return (model, args) or (model, args, loss), not %s" % (path, name, type(made).__name__))
    model, args = made[0], made[1]
    return model, (args if isinstance(args, tuple) else (args,)), (made[2] if len(made) == 3 else None)


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    is_check = bool(argv) and argv[0] == "check"
    parser = argparse.ArgumentParser(
        prog="python -m gradviz_torch" + (" check" if is_check else ""),
        description=("Compare gradviz's gradients with PyTorch autograd's (a wrong custom backward is "
                     "reported at its node)." if is_check else
                     "Draw a PyTorch model with gradviz: values, gradients and Σ on every edge."))
    parser.add_argument("factory", metavar="FILE.py:FACTORY", help="a function returning (model, args[, loss])")
    parser.add_argument("-o", "--output", help="the drawing (.svg .png .pdf .dot .html), or the model (.json; with check: the report)"
                        + ("; optional" if is_check else ""), required=not is_check)
    parser.add_argument("--gradviz", help="the gradviz binary (default: $GRADVIZ, then PATH)")
    parser.add_argument("--rankdir", choices=["LR", "TB"])
    parser.add_argument("--theme", choices=["light", "dark"])
    if is_check:
        parser.add_argument("--rtol", type=float, default=1e-7)
        parser.add_argument("--atol", type=float, default=1e-12)
    opts = parser.parse_args(argv[1:] if is_check else argv)
    try:
        model, args, loss = load_factory(opts.factory)
        fmt = os.path.splitext(opts.output)[1][1:].lower() if opts.output else "svg"
        if opts.output and fmt not in ("svg", "png", "pdf", "dot", "html", "json"):
            raise UsageError("%s: cannot tell the format from the extension; use .svg, .png, .pdf, .dot, .html or .json"
                             % opts.output)
        if is_check:
            result = check(model, args, loss, rtol=opts.rtol, atol=opts.atol, gradviz=opts.gradviz,
                           draw=fmt if opts.output and fmt != "json" else None,
                           rankdir=opts.rankdir, theme=opts.theme)
            sys.stdout.write(result.table())
            if opts.output and fmt == "json":
                write_atomically(opts.output, (json.dumps(result.as_dict(), indent=1) + "\n").encode("utf-8"))
            elif opts.output:
                result.drawing.save(opts.output)
            return 0 if result.passed else 1
        if fmt == "json":
            export(model, args, loss).save(opts.output)
        else:
            draw(model, args, loss, format=fmt, gradviz=opts.gradviz, rankdir=opts.rankdir,
                 theme=opts.theme).save(opts.output)
        return 0
    except (UsageError, GradvizTorchError) as e:
        sys.stderr.write("gradviz_torch: %s\n" % e)
        return 2
    except OSError as e:
        sys.stderr.write("gradviz_torch: %s: cannot write: %s\n" % (opts.output, e.strerror or e))
        return 2


if __name__ == "__main__":
    sys.exit(main())
