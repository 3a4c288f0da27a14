"""check: gradviz's gradients of the traced forward against PyTorch's eager autograd.

torch.export inlines a custom autograd.Function's forward into ordinary ATen ops, so
gradviz differentiates what the Function really computes; eager autograd runs the
hand-written backward instead. Every value both sides know (each parameter, each
argument with requires_grad, each intermediate tensor eager autograd tracks) is compared,
in backward order; the first that disagrees is where a backward is wrong.

Intermediate values are found in the eager run by recording every ATen op's result (a
TorchDispatchMode, below autograd: the recorded tensors are the ones autograd tracks) and
matching each traced node to the next recorded tensor of the same shape and value.
"""

from __future__ import annotations

import json

import torch
from torch.utils._python_dispatch import TorchDispatchMode

from . import _binary
from ._export import export, float64_default, prepare


class _Recorder(TorchDispatchMode):
    def __init__(self):
        super().__init__()
        self.tensors = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        for t in (out if isinstance(out, (tuple, list)) else [out]):
            if isinstance(t, torch.Tensor):
                self.tensors.append(t)
        return out


def _eager(model, args, loss):
    """PyTorch's own forward and backward (custom Functions run their backward)."""
    with float64_default():
        wrapped, args64 = prepare(model, args, loss)
        rec = _Recorder()
        with rec:
            out = wrapped(*args64)
    tracked = []
    for t in rec.tensors:
        if t.requires_grad and t.is_floating_point():
            t.retain_grad()
            tracked.append(t)
    if not (isinstance(out, torch.Tensor) and out.requires_grad):
        return wrapped, args64, tracked, None
    out.backward()
    # Only tensors on a path to the output get a gradient; the others (running statistics,
    # results nobody uses) would only make the matching ambiguous.
    return wrapped, args64, [t for t in tracked if t.grad is not None], out


def _close(a, b, rtol, atol):
    """(ok, max abs error, relative error of the tensor) with the error measured against the
    larger of the two tensors' largest magnitude."""
    err = (a - b).abs().max().item() if a.numel() else 0.0
    scale = max(a.abs().max().item(), b.abs().max().item()) if a.numel() else 0.0
    return err <= atol + rtol * scale, err, err / scale if scale > 0 else err


def _match(exported, tracked):
    """Traced node name -> eager tensor: the next recorded tensor (in execution order) with
    the node's shape and value, else any earlier one not yet taken."""
    matches, used, cursor = {}, set(), 0
    for n in exported.fx_nodes:
        if n.name not in exported.compared:
            continue
        v = exported.values[n.name]
        if not isinstance(v, torch.Tensor) or not v.is_floating_point():
            continue
        scale = v.abs().max().item() if v.numel() else 0.0
        tol = 1e-12 * (1 + scale)

        def fits(i):
            t = tracked[i]
            return (i not in used and t.shape == v.shape
                    and ((t.detach() - v).abs().max().item() <= tol if v.numel() else True))

        found = next((i for i in range(cursor, len(tracked)) if fits(i)), None)
        if found is None:
            found = next((i for i in range(0, cursor) if fits(i)), None)
        if found is not None:
            used.add(found)
            matches[n.name] = tracked[found]
            cursor = max(cursor, found + 1)
    return matches


class Item:
    """One compared gradient: `id` (gradviz's), `kind` (parameter, argument, value),
    `max_abs` and `rel` errors, `ok`, and the two gradients."""

    def __init__(self, id, kind, gradviz, pytorch, rtol, atol, grad_fn=None):
        self.id = id
        self.kind = kind
        self.gradviz = gradviz
        self.pytorch = pytorch
        self.grad_fn = grad_fn
        self.ok, self.max_abs, self.rel = _close(gradviz, pytorch, rtol, atol)

    def worst(self):
        """(index, gradviz, pytorch) of the element that differs most."""
        d = (self.gradviz - self.pytorch).abs().reshape(-1)
        i = int(d.argmax()) if d.numel() else 0
        idx = list(torch.unravel_index(torch.tensor(i), self.gradviz.shape)) if self.gradviz.dim() else []
        return ([int(k) for k in idx], self.gradviz.reshape(-1)[i].item() if d.numel() else 0.0,
                self.pytorch.reshape(-1)[i].item() if d.numel() else 0.0)


class CheckResult:
    """The outcome of `check`: `passed`, `items` (every compared gradient, in backward
    order), `first` (the first that disagrees, or None), `blamed` (gradviz ids of the nodes
    whose backward is wrong), `function` (the custom autograd.Function there, if any),
    `message`, `values_max_rel` (forward values, gradviz vs PyTorch eager), and `drawing`
    (the graph with the blamed nodes marked, as `gradviz check` marks a failing op)."""

    def __init__(self, name, items, first, blamed, function, message, values_max_rel, exported):
        self.name = name
        self.items = items
        self.first = first
        self.blamed = blamed
        self.function = function
        self.message = message
        self.values_max_rel = values_max_rel
        self.exported = exported
        self.drawing = None

    @property
    def passed(self):
        return self.first is None

    def __bool__(self):
        return self.passed

    def table(self):
        failed = sum(not i.ok for i in self.items)
        lines = ["gradient check of %s against PyTorch autograd: %d compared, %s"
                 % (self.name, len(self.items), "all agree" if not failed else "%d disagree" % failed)]
        w = max([len(i.id) for i in self.items] + [5])
        lines.append("  %-*s  %-9s  %11s  %11s  result" % (w, "value", "kind", "max abs err", "max rel err"))
        for i in self.items:
            lines.append("  %-*s  %-9s  %11.1e  %11.1e  %s" % (w, i.id, i.kind, i.max_abs, i.rel, "ok" if i.ok else "DIFFER"))
        lines.append(self.message)
        return "\n".join(lines) + "\n"

    __str__ = table

    def as_dict(self):
        """The report as JSON-serialisable data."""
        return {"model": self.name, "passed": self.passed, "message": self.message,
                "first": self.first.id if self.first else None, "blamed": self.blamed, "function": self.function,
                "values_max_rel": self.values_max_rel,
                "items": [{"id": i.id, "kind": i.kind, "max_abs": i.max_abs, "max_rel": i.rel, "ok": i.ok}
                          for i in self.items]}

    def __repr__(self):
        return "<gradviz_torch CheckResult of %s: %s>" % (self.name, "passed" if self.passed else self.message)

    def _repr_html_(self):
        import html
        out = '<pre style="white-space:pre-wrap">%s</pre>' % html.escape(self.table())
        if self.drawing is not None and self.drawing.format == "svg":
            out += self.drawing.text
        elif self.drawing is not None and self.drawing.format == "html":
            out += self.drawing._repr_html_()
        return out


def check(model, args, loss=None, rtol=1e-7, atol=1e-12, gradviz=None, draw="svg", **drawing):
    """Compares gradviz's gradients (the derivative of the traced forward) with PyTorch
    eager autograd's (which runs every custom autograd.Function's backward) for every
    parameter, every argument with requires_grad and every intermediate value, and reports
    the first value in backward order where they disagree, with the node to blame.

    A gradient agrees when max|a - b| <= atol + rtol * max(|a|, |b|) over the tensor.
    `draw` is the format of `result.drawing` (None for no drawing); `drawing` passes
    rankdir, theme, view, precision to gradviz. Returns a CheckResult.
    """
    exported = export(model, args, loss)
    name = exported["name"]
    result = json.loads(_binary.run(exported, "json", gradviz=gradviz, name=name))
    grads, values = result["grads"], result["values"]
    wrapped, args64, tracked, _ = _eager(model, args, loss)
    matches = _match(exported, tracked)

    def grad_of(id, like):
        g = grads.get(id)
        return torch.zeros_like(like) if g is None else torch.tensor(g, dtype=torch.float64).reshape(like.shape)

    def eager_grad(t):
        return torch.zeros_like(t.detach()) if t.grad is None else t.grad.detach()

    values_max_rel = 0.0
    for fx_name, id in exported.ids.items():
        v = exported.values[fx_name]
        if id in values and isinstance(v, torch.Tensor):
            ok, _, rel = _close(torch.tensor(values[id], dtype=torch.float64).reshape(v.shape), v.to(torch.float64), 0, 0)
            values_max_rel = max(values_max_rel, rel)
    for fx_name, t in matches.items():
        id = exported.ids[fx_name]
        _, _, rel = _close(torch.tensor(values[id], dtype=torch.float64).reshape(t.shape), t.detach(), 0, 0)
        values_max_rel = max(values_max_rel, rel)

    items = []
    for n in reversed(exported.fx_nodes):
        t = matches.get(n.name)
        # Values gradviz does not differentiate lie on no path from a gradient input: eager
        # autograd may track them only because of a tensor the trace took as a constant.
        if t is None or exported.ids[n.name] not in grads:
            continue
        id = exported.ids[n.name]
        items.append(Item(id, "value", grad_of(id, t.detach()), eager_grad(t), rtol, atol, grad_fn=t.grad_fn))
    params = dict(wrapped.named_parameters())
    for id in reversed(list(exported["inputs"])):
        if id in exported.params:
            p = params.get("model." + exported.params[id], params.get(exported.params[id]))
            if p is not None and p.requires_grad:
                items.append(Item(id, "parameter", grad_of(id, p.detach()), eager_grad(p), rtol, atol))
        elif id in exported.arg_ids:
            a = args64[exported.arg_ids[id]]
            if isinstance(a, torch.Tensor) and a.requires_grad:
                items.append(Item(id, "argument", grad_of(id, a.detach()), eager_grad(a), rtol, atol))

    first = next((i for i in items if not i.ok), None)
    blamed, function, message, slots = [], None, "every gradient agrees with PyTorch autograd", {}
    if first is not None:
        blamed, function, slots = _blame(exported, first, matches)
        idx, gv, pt = first.worst()
        where = ("the custom autograd.Function %s (%s)" % (function, ", ".join("'%s'" % b for b in blamed))
                 if function else "%s" % ", ".join("'%s'" % b for b in blamed))
        verdict = ("the backward of %s is wrong" % where if blamed else
                   "no op uses it: gradviz and PyTorch disagree on what needs a gradient")
        message = ("first disagreement in backward order: the gradient of '%s' at %s: PyTorch autograd %.6g, "
                   "gradviz (derivative of the traced forward) %.6g, max rel err %.1e; %s"
                   % (first.id, idx, pt, gv, first.rel, verdict))
    res = CheckResult(name, items, first, blamed, function, message, values_max_rel, exported)
    if draw:
        marks = []
        nodes = {nd.get("id") for nd in exported["nodes"]}
        for i in items:
            if i.ok and i.kind == "value" and i.id in nodes and i.id not in blamed:
                marks += ["--mark-passed", i.id]
        for b in blamed:
            note = ("%s.backward disagrees with its forward's derivative" % function if function
                    else "PyTorch's backward disagrees with gradviz's")
            marks += ["--mark-failed", "%s=%s" % (b, note)]
        if first is not None:
            idx, gv, pt = first.worst()
            for b, slot in slots.items():
                marks += ["--mark-failed", "%s:%d=∂/∂%s: PyTorch %.6g vs traced %.6g" % (b, slot, first.id, pt, gv)]
        res.drawing = _binary.Drawing(
            _binary.run(exported, draw, _binary.options_from(**drawing, extra=marks), gradviz=gradviz, name=name),
            draw, name)
    return res


def _blame(exported, first, matches):
    """The nodes between the first disagreeing value and the values eager autograd tracks
    next: the ops of a custom Function (untracked inside, its output tracked with the
    Function's backward), or else the ops that use the value directly."""
    by_name = {n.name: n for n in exported.fx_nodes}
    # The FX node that computes the value (a copy shares its source's id: not the copy).
    fx_of = {}
    for name, id in exported.ids.items():
        if name in exported.compared or name not in by_name:
            fx_of[id] = name
        else:
            fx_of.setdefault(id, name)
    start = fx_of.get(first.id)
    translated = set(by_name)
    users = [u for u in exported.users.get(start, []) if u in translated]
    inside, custom, plain = set(), [], []
    stack, seen = list(users), set()
    while stack:
        u = stack.pop()
        if u in seen:
            continue
        seen.add(u)
        t = matches.get(u)
        if t is None:
            inside.add(u)
            stack.extend(x for x in exported.users.get(u, []) if x in translated)
        elif t is not None and isinstance(t.grad_fn, torch.autograd.function.BackwardCFunction):
            custom.append(u)
        else:
            plain.append(u)
    function = None
    if custom:
        names = sorted({type(matches[u].grad_fn).__name__ for u in custom})
        function = ", ".join(n[:-len("Backward")] if n.endswith("Backward") else n for n in names)
        # Only the inside nodes that lead to the Function's output.
        keep = set(custom)
        changed = True
        while changed:
            changed = False
            for u in inside - keep:
                if any(x in keep for x in exported.users.get(u, [])):
                    keep.add(u)
                    changed = True
        chosen = [n.name for n in exported.fx_nodes if n.name in keep]
    else:
        chosen = [u for u in users]
    blamed = []
    for c in chosen:
        id = exported.ids.get(c)
        if id and id not in blamed and id not in exported["inputs"]:
            blamed.append(id)
    # The gradient edges that carry the wrong gradient into the first value.
    slots = {}
    for node in exported["nodes"]:
        if node.get("id") in blamed and first.id in node["inputs"]:
            slots[node["id"]] = node["inputs"].index(first.id)
    return blamed, function, slots
