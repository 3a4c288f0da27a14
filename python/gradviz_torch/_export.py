"""torch.export → gradviz's model format.

The model is traced by torch.export (a functional ATen graph), lowered with PyTorch's
default decompositions minus the composite ops gradviz has itself (so `linear`,
`layer_norm`, `cross_entropy_loss`... stay single ops), run once in float64 to get every
value, and translated node by node (`_aten.py` knows each ATen op).
"""

from __future__ import annotations

import copy
import inspect
import json
import operator
import os
import re

import torch

from ._aten import HANDLERS, KEEP
from ._binary import write_atomically
from ._errors import ExportError, UnsupportedOpError

_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")


def _as_float64(args):
    """Floating tensors become float64 (keeping requires_grad); others stay as they are."""
    out = []
    for a in args:
        if isinstance(a, torch.Tensor) and a.is_floating_point():
            b = a.detach().to(torch.float64)
            out.append(b.requires_grad_(a.requires_grad))
        elif isinstance(a, torch.Tensor):
            out.append(a.detach().clone())
        else:
            out.append(a)
    return tuple(out)


class float64_default:
    """Tensors the model creates as it runs (torch.zeros for an initial state) are float64 too."""

    def __enter__(self):
        self.saved = torch.get_default_dtype()
        torch.set_default_dtype(torch.float64)

    def __exit__(self, *exc):
        torch.set_default_dtype(self.saved)


def prepare(model, args, loss):
    """A float64 copy of the model wrapped with its loss, and float64 copies of the args.

    The user's model and tensors are never changed. The wrapper's submodule is named
    `model`, so every path under it starts with `model.` (stripped again by the exporter).
    """
    if not isinstance(args, tuple):
        args = (args,)
    if isinstance(model, torch.nn.Module):
        model = copy.deepcopy(model).to(torch.float64)
    return _WithLoss(model, loss), _as_float64(args)


class _WithLoss(torch.nn.Module):
    def __init__(self, model, loss):
        super().__init__()
        if isinstance(model, torch.nn.Module):
            self.model = model
        else:
            self._callable = model
        self._loss = loss

    def forward(self, *args):
        f = self.model if hasattr(self, "model") else self._callable
        out = f(*args)
        return self._loss(out) if self._loss is not None else out


def _arg_names(model, count):
    """The names of the model's forward parameters (x, mask, ...), or x0, x1, ..."""
    f = model.forward if isinstance(model, torch.nn.Module) else model
    try:
        params = [p for p in inspect.signature(f).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        params = []
    names = [p.name for p in params][:count]
    if len(names) < count:
        names = ["x%d" % i for i in range(count)] if count > 1 else ["x"]
    return names


def _clean_id(name):
    """An id gradviz accepts: ASCII letters, digits, `_` and `.`, not starting with a digit or `.`."""
    s = re.sub(r"[^A-Za-z0-9_.]", "_", name)
    if not s or not (s[0].isalpha() or s[0] == "_"):
        s = "_" + s
    return s


def _strip_model(path):
    return path[len("model."):] if path.startswith("model.") else ("" if path == "model" else path)


def _group(path):
    """`model.layers.0.attn` → `layers.0/attn`: modules nest as `/`, list indices stay with their list."""
    parts = _strip_model(path).split(".") if _strip_model(path) else []
    out = []
    for p in parts:
        if p.isdigit() and out:
            out[-1] += "." + p
        else:
            out.append(p)
    return "/".join(out)


def _short(fx_name):
    """FX names of functional ATen ops read like implementation details:
    `_native_batch_norm_legit_functional_1` -> `batch_norm_1`."""
    return re.sub(r"^_?(native_)?(batch_norm)_legit(_functional|_no_training)?", r"\2", fx_name).lstrip("_") or fx_name


def source_line(node):
    """`file.py:12: return torch.erf(x)` from an FX node's stack trace: the innermost frame
    outside torch itself (the user's line), or None."""
    trace = node.meta.get("stack_trace") or ""
    lines = trace.splitlines()
    skip = (os.path.dirname(torch.__file__), os.path.dirname(os.path.abspath(__file__)))
    best = None
    for i, line in enumerate(lines):
        m = re.match(r'\s*File "(.+)", line (\d+), in (.+)', line)
        if not m or m.group(1).startswith(skip):
            continue
        code = lines[i + 1].strip() if i + 1 < len(lines) else ""
        best = "%s:%s: %s" % (m.group(1), m.group(2), code)
    return best


class Exported(dict):
    """A model in gradviz's format: the dict itself (`json.dump(gv.export(m, args), f)`),
    with `save(path)` and what check needs to map it back to PyTorch.

    `ids` maps each translated FX node's name to the gradviz id of its value, `values` each
    FX node's name to its float64 value, `fx_nodes` the translated FX nodes in graph order,
    `compared` the FX nodes whose value is a node of their own (not an alias of another
    value: a copy shares its source's id, but not its gradient in PyTorch), `params` the
    state_dict name of each parameter id, `arg_ids` the position of each argument id.
    """

    def __init__(self, model, ids, values, fx_nodes, params, users, compared, arg_ids):
        super().__init__(model)
        self.ids = ids
        self.values = values
        self.fx_nodes = fx_nodes
        self.params = params
        self.users = users
        self.compared = compared
        self.arg_ids = arg_ids

    @property
    def model(self):
        """The model as a plain dict."""
        return dict(self)

    def json(self):
        return json.dumps(self, indent=1, ensure_ascii=False, allow_nan=False) + "\n"

    def save(self, path):
        """Writes the model to `path` (atomically: a partial file never appears)."""
        return write_atomically(path, self.json().encode("utf-8"))


def export(model, args, loss=None, name=None):
    """Traces `model(*args)` (and `loss(output)`) with torch.export into gradviz's format.

    `model` is an nn.Module or a callable, `args` a tuple of example tensors, `loss` an
    optional callable from the model's output to a scalar tensor (without it the output
    must be a scalar). Everything is computed in float64: floating parameters, buffers and
    args are converted on copies (the model you pass is not changed). Parameters with
    requires_grad become gradient inputs named by their state_dict names (`fc1.weight`);
    buffers, constants and args are data inputs, except an arg with requires_grad, which
    gets a gradient. (A tensor a plain function captures is a constant, even a Parameter:
    torch.export detaches it; pass an nn.Module, or the tensor as an arg.) Nodes are grouped by the module that ran them (`encoder/layer1/attn`).

    Raises UnsupportedOpError (naming the ATen op and your source line) for an op gradviz
    does not have, and ExportError for anything else it cannot translate faithfully.
    Returns an `Exported`: the model dict itself, with `.save(path)`.
    """
    with float64_default():
        wrapped, args64 = prepare(model, args, loss)
        try:
            ep = torch.export.export(wrapped, args64)
        except Exception as e:  # torch.export's own messages are long; keep the first line
            raise ExportError("torch.export could not trace the model: %s" % str(e).strip().splitlines()[0]) from e
        table = torch.export.default_decompositions()
        for op in KEEP:
            table.pop(op, None)
        ep = ep.run_decompositions(table)
        names = _arg_names(model, len(args64))
        title = name or (type(model).__name__ if isinstance(model, torch.nn.Module) else getattr(model, "__name__", "model"))
        return _Translator(ep, args64, names, wrapped).run(title)


# Ops whose result depends on their input's shape, never its values: data.
_SHAPE_ONLY = {torch.ops.aten.full_like.default, torch.ops.aten.zeros_like.default, torch.ops.aten.ones_like.default,
               torch.ops.aten.new_zeros.default, torch.ops.aten.new_ones.default, torch.ops.aten.new_full.default,
               torch.ops.aten.sym_size.int}


class _Translator:
    def __init__(self, ep, args, arg_names, wrapped):
        self.ep = ep
        self.args = args
        self.arg_names = arg_names
        self.wrapped = wrapped
        self.inputs = {}
        self.nodes = []
        self.ref = {}          # FX node -> gradviz id, literal number, or list of them (tuples)
        self.ids = {}          # FX node name -> gradviz id
        self.taken = set()
        self.grad_nodes = set()  # FX nodes that depend on a gradient-enabled input
        self.current = None
        self.placeholders = {}
        self.params = {}       # gradviz id of each parameter -> state_dict name
        self.arg_ids = {}      # gradviz id of each user argument -> its position
        self.calls = []        # the module call (key, path) of each emitted node

    # ---- ids and emission -------------------------------------------------------------

    def fresh(self, base):
        base = _clean_id(base)
        name, i = base, 1
        while name in self.taken:
            name = "%s_%d" % (base, i)
            i += 1
        self.taken.add(name)
        return name

    def call(self):
        """The module call running the current FX node: (`model.cell@1`, `model.cell`)."""
        stack = self.current.meta.get("nn_module_stack") if self.current is not None else None
        if not stack:
            return None, None
        key, (path, _) = list(stack.items())[-1]
        return key, path

    def group(self):
        key, path = self.call()
        if key is None:
            return None
        if path == "" and self.wrapped._loss is not None and hasattr(self.wrapped, "model"):
            return "loss"
        return _group(path) or None

    def emit(self, op, inputs, attrs=None, name=None, label=None):
        """One gradviz node for the FX node being translated; returns its id."""
        nid = self.fresh(_short(name or self.current.name))
        node = {"id": nid, "op": op, "inputs": list(inputs)}
        if attrs:
            node["attrs"] = attrs
        g = self.group()
        if g:
            node["group"] = g
        if label:
            node["label"] = label
        self.calls.append(self.call())
        self.nodes.append(node)
        return nid

    def emit_split(self, inputs, attrs, names):
        node = {"outputs": [self.fresh(_short(n)) for n in names], "op": "split", "inputs": list(inputs), "attrs": attrs}
        g = self.group()
        if g:
            node["group"] = g
        self.calls.append(self.call())
        self.nodes.append(node)
        return node["outputs"]

    def data(self, value, name, label=None, doc=None):
        """A data input (no gradient) holding `value`; returns its id."""
        nid = self.fresh(_short(name))
        self.inputs[nid] = self._input(value, grad=False, label=label, doc=doc)
        return nid

    def _input(self, value, grad, label=None, doc=None):
        v = value.detach()
        if v.is_floating_point() and not torch.isfinite(v).all():
            raise ExportError("input '%s' holds NaN or infinity, which a gradviz model cannot hold" % (label or "?"))
        if v.dtype == torch.bool:
            v = v.to(torch.int64)
        entry = {"value": v.tolist(), "grad": grad}
        if label:
            entry["label"] = label
        if doc:
            entry["doc"] = doc
        return entry

    # ---- arguments of an FX node ------------------------------------------------------

    def arg(self, a):
        """The gradviz id of a tensor argument, or the literal of a number."""
        if isinstance(a, torch.fx.Node):
            r = self.get(a)
            if isinstance(r, list):
                raise ExportError("%s: a tuple used as a tensor" % self.where())
            return r
        if isinstance(a, bool):
            return 1.0 if a else 0.0
        if isinstance(a, (int, float)):
            if a != a or a in (float("inf"), float("-inf")):
                raise ExportError("%s: the constant %r cannot be written in a gradviz model" % (self.where(), a))
            return a
        raise ExportError("%s: unexpected argument %r" % (self.where(), a))

    def value(self, a):
        return self.values[a.name] if isinstance(a, torch.fx.Node) else a

    def shape(self, a):
        v = self.value(a)
        return list(v.shape) if isinstance(v, torch.Tensor) else []

    def where(self):
        n = self.current
        src = source_line(n) if n is not None else None
        return "%s (%s)%s" % (n.name, n.target, " at " + src if src else "")

    def get(self, node):
        if node in self.ref:
            return self.ref[node]
        if node.op == "placeholder":
            self.ref[node] = self.placeholder(node)
            return self.ref[node]
        raise ExportError("internal: %s used before it was translated" % node.name)

    def placeholder(self, node):
        kind, target, grad, position = self.placeholders[node.name]
        v = self.values[node.name]
        if not isinstance(v, torch.Tensor):
            return self.arg(v)
        if kind == "param":
            nid = _clean_id(_strip_model(target))   # reserved in run(): state_dict names are unique
            self.params[nid] = _strip_model(target)
            doc = "parameter %s" % _strip_model(target)
        elif kind == "buffer":
            nid = _clean_id(_strip_model(target))
            doc = "buffer %s" % _strip_model(target)
        elif kind == "constant":
            nid = self.fresh("constant")
            doc = "a tensor the traced code captured (a constant: no gradient)"
        else:
            nid = self.fresh(target)
            self.arg_ids[nid] = position
            doc = "argument %s" % target
        if not v.is_floating_point():
            grad = False
        # An id cannot start with a digit (`0.weight` of a Sequential is `_0.weight`): the
        # label keeps the state_dict name.
        label = _strip_model(target) if kind in ("param", "buffer") and nid != _strip_model(target) else None
        self.inputs[nid] = self._input(v, grad=grad, label=label, doc=doc)
        self.ids[node.name] = nid
        return nid

    # ---- the graph --------------------------------------------------------------------

    def run(self, title):
        ep = self.ep
        sig = ep.graph_signature
        user_i = 0
        param_grads = {k: p.requires_grad for k, p in self.wrapped.named_parameters()}
        for spec in sig.input_specs:
            name = spec.arg.name
            kind = spec.kind.name
            if kind == "PARAMETER":
                self.placeholders[name] = ("param", spec.target, param_grads.get(spec.target, True), None)
            elif kind == "BUFFER":
                self.placeholders[name] = ("buffer", spec.target, False, None)
            elif kind in ("CONSTANT_TENSOR", "CUSTOM_OBJ", "TOKEN"):
                # Tensors the traced code captures (torch.export detaches them, even a
                # Parameter a plain function closes over): data.
                self.placeholders[name] = ("constant", spec.target, False, None)
            else:
                a = self.args[user_i]
                grad = isinstance(a, torch.Tensor) and a.requires_grad
                self.placeholders[name] = ("arg", self.arg_names[user_i], grad, user_i)
                user_i += 1
        for kind, target, _, _ in self.placeholders.values():
            if kind in ("param", "buffer"):
                self.taken.add(_clean_id(_strip_model(target)))
        self.values = self._compute()
        graph_out = [n for n in ep.graph.nodes if n.op == "output"][0]
        outs = graph_out.args[0]
        user_out = [o for o, s in zip(outs, sig.output_specs) if s.kind.name == "USER_OUTPUT"]
        if len(user_out) != 1 or not isinstance(user_out[0], torch.fx.Node):
            raise ExportError("the model (with its loss) must return one scalar tensor; it returns %d values" % len(user_out))
        out = user_out[0]
        ov = self.values[out.name]
        if not isinstance(ov, torch.Tensor) or ov.dim() != 0:
            shape = list(ov.shape) if isinstance(ov, torch.Tensor) else type(ov).__name__
            raise ExportError("the output has shape %s, not a scalar: pass loss= (a callable taking the "
                              "model's output and returning a scalar tensor)" % (shape,))
        needed = self._ancestors(out)
        for name, (kind, _, grad, _) in self.placeholders.items():
            if grad:
                self.grad_nodes.add(name)
        fx_nodes, compared, claimed = [], set(), set()
        for n in ep.graph.nodes:
            if n.op != "call_function" or n not in needed:
                continue
            if any(i.name in self.grad_nodes for i in n.all_input_nodes):
                self.grad_nodes.add(n.name)
            self.current = n
            before = len(self.nodes)
            r = self.ref[n] = self.translate(n)
            if isinstance(r, str):
                self.ids[n.name] = r
                new = {x for nd in self.nodes[before:] for x in ([nd["id"]] if "id" in nd else nd["outputs"])}
                if r not in claimed and r not in self.inputs and (r in new or n.target is operator.getitem):
                    compared.add(n.name)
                    claimed.add(r)
            fx_nodes.append(n)
        self.current = None
        out_id = self.ref[out]
        if not isinstance(out_id, str) or out_id in self.inputs:
            raise ExportError("the output is a constant or an input, not computed from the inputs")
        out_id = self._name_module_outputs().get(out_id, out_id)
        model = {
            "gradviz": 1,
            "name": title,
            "description": "exported from PyTorch %s by gradviz_torch (torch.export), computed in float64"
                           % torch.__version__.split("+")[0],
            "inputs": self.inputs,
            "nodes": self.nodes,
            "outputs": [out_id],
        }
        users = {n.name: [u.name for u in n.users] for n in ep.graph.nodes}
        return Exported(model, self.ids, self.values, fx_nodes, self.params, users, compared, self.arg_ids)

    def _compute(self):
        """Every FX node's value, in float64, by running the exported graph once."""
        ep = self.ep
        feeds = []
        user_i = 0
        for spec in ep.graph_signature.input_specs:
            kind = spec.kind.name
            if kind in ("PARAMETER", "BUFFER"):
                t = ep.state_dict.get(spec.target)
                if t is None:
                    t = ep.constants[spec.target]
                feeds.append(t.detach())
            elif kind == "CONSTANT_TENSOR" or kind == "CUSTOM_OBJ":
                feeds.append(ep.constants[spec.target])
            else:
                a = self.args[user_i]
                feeds.append(a.detach() if isinstance(a, torch.Tensor) else a)
                user_i += 1
        values = {}

        class Recorder(torch.fx.Interpreter):
            def run_node(self, n):
                v = super().run_node(n)
                values[n.name] = v
                return v

        with torch.no_grad():
            Recorder(ep.graph_module).run(*feeds)
        return values

    @staticmethod
    def _ancestors(out):
        seen, stack = set(), [out]
        while stack:
            n = stack.pop()
            if n in seen:
                continue
            seen.add(n)
            stack.extend(n.all_input_nodes)
        return seen

    def translate(self, n):
        v = self.values[n.name]
        is_grad = n.name in self.grad_nodes
        tensor_out = isinstance(v, torch.Tensor)
        handler = HANDLERS.get(n.target)
        # Integer and boolean results (indices, masks, counts) carry no gradient: they are
        # data, given by their computed values.
        if handler is None and torch.Tag.nondeterministic_seeded in getattr(n.target, "tags", ()):
            src = source_line(n)
            raise UnsupportedOpError(
                "%s (node '%s') draws random numbers%s: the traced run would not draw PyTorch's; "
                "make them outside the model and pass them as an argument" % (n.target, n.name, " at " + src if src else ""),
                aten_op=str(n.target), source=src)
        if tensor_out and not v.is_floating_point():
            return self.data(v, n.name, doc="%s, computed by PyTorch (integer data, no gradient)" % n.target)
        if n.target in _SHAPE_ONLY:
            return self.data(v, n.name, doc="%s: depends only on a shape (no gradient)" % n.target)
        if handler is None:
            if not is_grad and tensor_out:
                return self.data(v, n.name, doc="%s of data only, computed by PyTorch (no gradient)" % n.target)
            src = source_line(n)
            raise UnsupportedOpError(
                "gradviz has no op for %s (node '%s')%s" % (n.target, n.name, " from " + src if src else ""),
                aten_op=str(n.target), source=src)
        return handler(self, n)

    def unsupported(self, why):
        """An op gradviz has, used in a way it does not support: one clear error."""
        n = self.current
        src = source_line(n)
        raise UnsupportedOpError("gradviz cannot translate %s (node '%s'): %s%s"
                                 % (n.target, n.name, why, " from " + src if src else ""),
                                 aten_op=str(n.target), source=src)

    def _name_module_outputs(self):
        """The last node computed directly in each module call takes the module's path as its
        id (`hidden`, `attn.qkv`; `cell_1` for a module's second call) and its name as label,
        so the drawing and the check's report read like the model's code. Returns the renames."""
        last = {}
        for node, (key, path) in zip(self.nodes, self.calls):
            if key is not None and _strip_model(path) and "id" in node:
                last[key] = (node, _strip_model(path))
        renames = {}
        for node, path in last.values():
            self.taken.discard(node["id"])
            new = self.fresh(path)
            renames[node["id"]] = new
            node["id"] = new
            node.setdefault("label", node["group"].split("/")[-1] if node.get("group") else path)
        for node in self.nodes:
            node["inputs"] = [renames.get(i, i) if isinstance(i, str) else i for i in node["inputs"]]
        self.ids = {k: renames.get(v, v) for k, v in self.ids.items()}
        return renames
