"""Each ATen op gradviz can express, as gradviz nodes with PyTorch's exact semantics.

A handler takes the translator `t` and the FX node `n`, emits nodes with `t.emit` and
returns the id of the node's value (or a list of ids for an op with several results, read
by `getitem`). Anything a handler cannot express exactly is `t.unsupported(why)`: an
error, never an approximation.
"""

from __future__ import annotations

import operator

import torch

aten = torch.ops.aten

# Composite ops gradviz has as single ops: torch.export's decompositions leave them alone.
KEEP = [
    aten.linear.default, aten.matmul.default, aten.conv2d.default,
    aten.layer_norm.default, aten.batch_norm.default,
    aten.softmax.int, aten._safe_softmax.default, aten.log_softmax.int, aten.logsumexp.default,
    aten.cross_entropy_loss.default, aten.mse_loss.default,
    aten.binary_cross_entropy_with_logits.default,
    aten.max_pool2d.default, aten.avg_pool2d.default,
    aten.gelu.default, aten.softplus.default, aten.leaky_relu.default,
    aten.dropout.default,
]

HANDLERS = {}


def handles(*ops):
    def register(f):
        for op in ops:
            HANDLERS[op] = f
        return f
    return register


def _args(n, *defaults):
    """The node's positional arguments, with its keyword arguments and defaults filled in."""
    schema = n.target._schema.arguments if hasattr(n.target, "_schema") else []
    out = list(n.args)
    for i in range(len(out), len(defaults)):
        name = schema[i].name if i < len(schema) else None
        out.append(n.kwargs.get(name, defaults[i]) if name else defaults[i])
    return out


def _reduction(t, r):
    names = {0: "none", 1: "mean", 2: "sum"}
    if r not in names:
        t.unsupported("reduction %r" % (r,))
    return names[r]


def _axis(dim, rank):
    return dim + rank if dim < 0 else dim


def _pair(v):
    """An int or a list of one or two ints as [h, w]."""
    v = list(v) if isinstance(v, (list, tuple)) else [v, v]
    if len(v) == 1:
        v = v * 2
    return v


# ---- elementwise --------------------------------------------------------------------

_UNARY = {
    aten.neg.default: "neg", aten.exp.default: "exp", aten.log.default: "log",
    aten.sqrt.default: "sqrt", aten.abs.default: "abs", aten.sin.default: "sin",
    aten.cos.default: "cos", aten.tanh.default: "tanh", aten.sigmoid.default: "sigmoid",
    aten.relu.default: "relu", aten.square.default: "square",
}


@handles(*_UNARY)
def _unary(t, n):
    return t.emit(_UNARY[n.target], [t.arg(n.args[0])])


@handles(aten.rsqrt.default)
def _rsqrt(t, n):
    s = t.emit("sqrt", [t.arg(n.args[0])], name=n.name + "_sqrt")
    return t.emit("div", [1.0, s])


@handles(aten.reciprocal.default)
def _reciprocal(t, n):
    return t.emit("div", [1.0, t.arg(n.args[0])])


def _scaled(t, n, b, alpha):
    """b * alpha for add/sub's alpha argument."""
    if alpha == 1:
        return t.arg(b)
    if not isinstance(b, torch.fx.Node):
        return b * alpha
    return t.emit("mul", [t.arg(b), alpha], name=n.name + "_alpha")


@handles(aten.add.Tensor, aten.add.Scalar, aten.sub.Tensor, aten.sub.Scalar)
def _add_sub(t, n):
    a, b, alpha = _args(n, None, None, 1)
    op = "add" if n.target in (aten.add.Tensor, aten.add.Scalar) else "sub"
    return t.emit(op, [t.arg(a), _scaled(t, n, b, alpha)])


@handles(aten.rsub.Scalar, aten.rsub.Tensor)
def _rsub(t, n):
    a, b, alpha = _args(n, None, None, 1)
    return t.emit("sub", [t.arg(b), _scaled(t, n, a, alpha)])


@handles(aten.mul.Tensor, aten.mul.Scalar)
def _mul(t, n):
    return t.emit("mul", [t.arg(n.args[0]), t.arg(n.args[1])])


@handles(aten.div.Tensor, aten.div.Scalar, aten.div.Tensor_mode)
def _div(t, n):
    if n.kwargs.get("rounding_mode") is not None or (len(n.args) > 2 and n.args[2] is not None):
        t.unsupported("rounding division has no gradient gradviz models")
    return t.emit("div", [t.arg(n.args[0]), t.arg(n.args[1])])


@handles(aten.pow.Tensor_Scalar, aten.pow.Tensor_Tensor, aten.pow.Scalar)
def _pow(t, n):
    a, b = n.args[0], n.args[1]
    if b == 2 and not isinstance(b, torch.fx.Node):
        return t.emit("square", [t.arg(a)])
    return t.emit("pow", [t.arg(a), t.arg(b)])


@handles(aten.maximum.default, aten.minimum.default)
def _max_min(t, n):
    return t.emit("maximum" if n.target == aten.maximum.default else "minimum",
                  [t.arg(n.args[0]), t.arg(n.args[1])])


@handles(aten.leaky_relu.default)
def _leaky_relu(t, n):
    x, slope = _args(n, None, 0.01)
    return t.emit("leaky_relu", [t.arg(x)], {"negative_slope": slope})


@handles(aten.gelu.default)
def _gelu(t, n):
    return t.emit("gelu", [t.arg(n.args[0])], {"approximate": n.kwargs.get("approximate", "none")})


@handles(aten.softplus.default)
def _softplus(t, n):
    x, beta, threshold = _args(n, None, 1, 20)
    if threshold != 20:
        t.unsupported("threshold %r (gradviz's softplus switches to x above 20, as PyTorch's default)" % threshold)
    if beta == 1:
        return t.emit("softplus", [t.arg(x)])
    bx = t.emit("mul", [t.arg(x), beta], name=n.name + "_beta")
    s = t.emit("softplus", [bx], name=n.name + "_sp")
    return t.emit("div", [s, beta])


# ---- shapes -------------------------------------------------------------------------

def _reshape(t, n, x=None):
    return t.emit("reshape", [t.arg(n.args[0] if x is None else x)], {"shape": t.shape(n)})


for _op in (aten.view.default, aten._unsafe_view.default, aten.reshape.default,
            aten.unsqueeze.default, aten.squeeze.dim, aten.squeeze.dims, aten.squeeze.default,
            aten.flatten.using_ints, aten.view_copy.default):
    HANDLERS[_op] = _reshape


@handles(aten.permute.default)
def _permute(t, n):
    rank = len(t.shape(n.args[0]))
    return t.emit("transpose", [t.arg(n.args[0])], {"perm": [_axis(d, rank) for d in n.args[1]]})


@handles(aten.transpose.int)
def _transpose(t, n):
    rank = len(t.shape(n.args[0]))
    perm = list(range(rank))
    a, b = _axis(n.args[1], rank), _axis(n.args[2], rank)
    perm[a], perm[b] = perm[b], perm[a]
    return t.emit("transpose", [t.arg(n.args[0])], {"perm": perm})


@handles(aten.t.default, aten.numpy_T.default)
def _t(t, n):
    if len(t.shape(n.args[0])) < 2:
        return t.arg(n.args[0])
    return t.emit("transpose", [t.arg(n.args[0])])


@handles(aten.expand.default, aten.expand_copy.default)
def _expand(t, n):
    # Adding zeros of the target shape broadcasts exactly, and the gradient of a broadcast
    # input is summed back: the value and gradient of torch's expand.
    shape = t.shape(n)
    zeros = t.data(torch.zeros(shape, dtype=torch.float64), n.name + "_zeros",
                   doc="zeros of shape %s: adding them broadcasts like expand" % shape)
    return t.emit("add", [t.arg(n.args[0]), zeros])


@handles(aten.clone.default, aten.alias.default, aten.contiguous.default, aten.lift_fresh_copy.default,
         aten._to_copy.default, aten.to.dtype, aten.detach_.default)
def _same(t, n):
    # float64 throughout: a copy or a cast is the same value.
    return t.arg(n.args[0])


@handles(aten.detach.default)
def _detach(t, n):
    # A detached value is data: its computed value, with no gradient flowing back.
    return t.data(t.value(n), n.name, doc="detached: no gradient flows back through it")


@handles(aten.cat.default)
def _cat(t, n):
    xs, dim = _args(n, None, 0)
    rank = len(t.shape(n))
    return t.emit("concat", [t.arg(x) for x in xs], {"axis": _axis(dim, rank)})


@handles(aten.stack.default)
def _stack(t, n):
    xs, dim = _args(n, None, 0)
    rank = len(t.shape(n))
    axis = _axis(dim, rank)
    parts = []
    for i, x in enumerate(xs):
        shape = t.shape(x)
        parts.append(t.emit("reshape", [t.arg(x)], {"shape": shape[:axis] + [1] + shape[axis:]},
                            name="%s_%d" % (n.name, i)))
    return t.emit("concat", parts, {"axis": axis})


def _slice_bounds(size, start, end, step):
    return slice(start, end, step).indices(size)


@handles(aten.slice.Tensor, aten.slice_copy.Tensor)
def _slice(t, n):
    x, dim, start, end, step = _args(n, None, 0, None, None, 1)
    shape = t.shape(x)
    axis = _axis(dim, len(shape))
    start, end, step = _slice_bounds(shape[axis], start, end, step)
    if start == 0 and end == shape[axis] and step == 1:
        return t.arg(x)
    return t.emit("slice", [t.arg(x)], {"axis": axis, "start": start, "end": max(end, start), "step": step})


@handles(aten.narrow.default)
def _narrow(t, n):
    x, dim, start, length = n.args
    shape = t.shape(x)
    axis = _axis(dim, len(shape))
    start = start + shape[axis] if start < 0 else start
    return t.emit("slice", [t.arg(x)], {"axis": axis, "start": start, "end": start + length})


@handles(aten.select.int)
def _select(t, n):
    x, dim, index = n.args
    shape = t.shape(x)
    axis = _axis(dim, len(shape))
    index = index + shape[axis] if index < 0 else index
    s = t.emit("slice", [t.arg(x)], {"axis": axis, "start": index, "end": index + 1}, name=n.name + "_slice")
    return t.emit("reshape", [s], {"shape": t.shape(n)})


def _split(t, n, sizes, dim, squeeze=False):
    shape = t.shape(n.args[0])
    axis = _axis(dim, len(shape))
    names = ["%s_%d" % (n.name, i) for i in range(len(sizes))]
    if len(sizes) == 1:
        return [t.arg(n.args[0])]
    pieces = t.emit_split([t.arg(n.args[0])], {"axis": axis, "sizes": list(sizes)}, names)
    if squeeze:
        out = []
        for i, p in enumerate(pieces):
            out.append(t.emit("reshape", [p], {"shape": shape[:axis] + shape[axis + 1:]}, name="%s_sq%d" % (n.name, i)))
        return out
    return pieces


@handles(aten.split.Tensor, aten.split_with_sizes.default, aten.chunk.default,
         aten.unsafe_split.Tensor, aten.split_with_sizes_copy.default)
def _split_handler(t, n):
    dim = _args(n, None, None, 0)[2]
    pieces = t.value(n)
    return _split(t, n, [p.shape[_axis(dim, p.dim())] for p in pieces], dim)


@handles(aten.unbind.int)
def _unbind(t, n):
    x, dim = _args(n, None, 0)
    shape = t.shape(x)
    axis = _axis(dim, len(shape))
    return _split(t, n, [1] * shape[axis], dim, squeeze=True)


@handles(operator.getitem)
def _getitem(t, n):
    src, i = n.args
    r = t.get(src)
    if not isinstance(r, list) or r[i] is None:
        t.unsupported("result %d of %s is not one gradviz computes" % (i, src.target))
    return r[i]


# ---- linear algebra -----------------------------------------------------------------

@handles(aten.matmul.default, aten.mm.default, aten.bmm.default)
def _matmul(t, n):
    return t.emit("matmul", [t.arg(n.args[0]), t.arg(n.args[1])])


@handles(aten.linear.default)
def _linear(t, n):
    x, w, b = _args(n, None, None, None)
    wt = t.emit("transpose", [t.arg(w)], name=n.name + "_wT")
    if b is None:
        return t.emit("matmul", [t.arg(x), wt])
    m = t.emit("matmul", [t.arg(x), wt], name=n.name + "_mm")
    return t.emit("add", [m, t.arg(b)])


@handles(aten.addmm.default)
def _addmm(t, n):
    b, x, w = n.args[:3]
    if n.kwargs.get("beta", 1) != 1 or n.kwargs.get("alpha", 1) != 1:
        t.unsupported("beta or alpha other than 1")
    m = t.emit("matmul", [t.arg(x), t.arg(w)], name=n.name + "_mm")
    return t.emit("add", [m, t.arg(b)])


# ---- reductions ---------------------------------------------------------------------

def _dims(dims, rank):
    if dims is None or dims == []:
        return None
    dims = [dims] if isinstance(dims, int) else list(dims)
    return [_axis(d, rank) for d in dims]


@handles(aten.sum.default, aten.sum.dim_IntList, aten.mean.default, aten.mean.dim)
def _sum_mean(t, n):
    op = "sum" if n.target in (aten.sum.default, aten.sum.dim_IntList) else "mean"
    if n.target in (aten.sum.default, aten.mean.default):
        return t.emit(op, [t.arg(n.args[0])])
    x, dims, keep = _args(n, None, None, False)
    return t.emit(op, [t.arg(x)], {"axis": _dims(dims, len(t.shape(x))), "keepdims": bool(keep)})


@handles(aten.amax.default, aten.logsumexp.default)
def _amax(t, n):
    x, dims, keep = _args(n, None, [], False)
    op = "max" if n.target == aten.amax.default else "logsumexp"
    return t.emit(op, [t.arg(x)], {"axis": _dims(dims, len(t.shape(x))), "keepdims": bool(keep)})


@handles(aten.max.default)
def _max_all(t, n):
    return t.emit("max", [t.arg(n.args[0])])


@handles(aten.max.dim)
def _max_dim(t, n):
    x, dim, keep = _args(n, None, None, False)
    # torch.max(x, dim) sends the whole gradient to the first maximum, amax splits it among
    # ties: they agree exactly when no row ties.
    if t.value(x).dim() and _has_ties(t.value(x), dim):
        t.unsupported("a tie of maxima along the axis (torch.max gives the whole gradient to one "
                      "of them, gradviz's max splits it); use torch.amax")
    m = t.emit("max", [t.arg(x)], {"axis": _axis(dim, len(t.shape(x))), "keepdims": bool(keep)})
    indices = t.data(t.value(n)[1], n.name + "_indices", doc="indices of the maxima (integer data)")
    return [m, indices]


def _has_ties(x, dim):
    m = x.amax(dim=dim, keepdim=True)
    return bool(((x == m).sum(dim=dim) > 1).any())


# ---- neural network ops -------------------------------------------------------------

@handles(aten.softmax.int, aten._softmax.default, aten._safe_softmax.default)
def _softmax(t, n):
    x, dim = n.args[0], n.args[1]
    if n.target == aten._safe_softmax.default and torch.isneginf(t.value(x)).all(dim=dim).any():
        t.unsupported("a row that is entirely -inf (masked out)")
    return t.emit("softmax", [t.arg(x)], {"axis": _axis(dim, len(t.shape(x)))})


@handles(aten.log_softmax.int, aten._log_softmax.default)
def _log_softmax(t, n):
    x, dim = n.args[0], n.args[1]
    return t.emit("log_softmax", [t.arg(x)], {"axis": _axis(dim, len(t.shape(x)))})


@handles(aten.layer_norm.default)
def _layer_norm(t, n):
    x, shape, w, b, eps = _args(n, None, None, None, None, 1e-5, True)[:5]
    xs = t.shape(x)
    k = len(shape)
    if k == 1:
        ins = [t.arg(x)] + ([t.arg(w)] if w is not None else []) + ([t.arg(b)] if b is not None and w is not None else [])
        if b is not None and w is None:
            t.unsupported("a bias without a weight")
        return t.emit("layer_norm", ins, {"eps": eps})
    # Several normalized axes: flatten them into one, normalize, restore, then scale and shift.
    flat = t.emit("reshape", [t.arg(x)], {"shape": xs[:-k] + [-1]}, name=n.name + "_flat")
    ln = t.emit("layer_norm", [flat], {"eps": eps}, name=n.name + "_ln")
    y = t.emit("reshape", [ln], {"shape": xs}, name=n.name + ("_shape" if w is not None or b is not None else ""))
    if w is not None:
        y = t.emit("mul", [y, t.arg(w)], name=n.name + ("_w" if b is not None else ""))
    if b is not None:
        y = t.emit("add", [y, t.arg(b)])
    return y


@handles(aten._native_batch_norm_legit_functional.default, aten.batch_norm.default,
         aten._native_batch_norm_legit.default)
def _batch_norm(t, n):
    if n.target == aten.batch_norm.default:
        x, w, b, _rm, _rv, training, _momentum, eps = n.args[:8]
    elif n.target == aten._native_batch_norm_legit.default and len(n.args) == 7:
        x, w, b, _rm, _rv, training, _momentum, eps = n.args
    else:
        x, w, b, _rm, _rv, training, _momentum, eps = n.args[:8]
    if not training:
        return _batch_norm_eval(t, n, x, w, b, _rm, _rv, eps)
    ins = [t.arg(x)]
    if w is not None:
        ins.append(t.arg(w))
        if b is not None:
            ins.append(t.arg(b))
    elif b is not None:
        t.unsupported("a bias without a weight")
    y = t.emit("batch_norm", ins, {"eps": eps})
    # The saved statistics and the running-stat updates are not part of the objective.
    return y if n.target == aten.batch_norm.default else [y, None, None, None, None]


@handles(aten._native_batch_norm_legit_no_training.default)
def _batch_norm_no_training(t, n):
    x, w, b, rm, rv, _momentum, eps = n.args
    return [_batch_norm_eval(t, n, x, w, b, rm, rv, eps), None, None]


def _batch_norm_eval(t, n, x, w, b, rm, rv, eps):
    """Eval mode: (x - running_mean) / sqrt(running_var + eps) * weight + bias, per channel."""
    c = t.shape(x)[1]
    per_channel = [c] + [1] * (len(t.shape(x)) - 2)

    def channel(a, what):
        return t.emit("reshape", [t.arg(a)], {"shape": per_channel}, name="%s_%s" % (n.name, what))

    centered = t.emit("sub", [t.arg(x), channel(rm, "mean")], name=n.name + "_centered")
    var = t.emit("add", [channel(rv, "var"), eps], name=n.name + "_var_eps")
    std = t.emit("sqrt", [var], name=n.name + "_std")
    y = t.emit("div", [centered, std], name=n.name + ("_norm" if w is not None or b is not None else ""))
    if w is not None:
        y = t.emit("mul", [y, channel(w, "weight")], name=n.name + ("_scaled" if b is not None else ""))
    if b is not None:
        y = t.emit("add", [y, channel(b, "bias")])
    return y


@handles(aten.conv2d.default)
def _conv2d(t, n):
    x, w, b, stride, padding, dilation, groups = _args(n, None, None, None, 1, 0, 1, 1)
    if _pair(dilation) != [1, 1]:
        t.unsupported("dilation %s (gradviz's conv2d has none)" % (dilation,))
    if groups != 1:
        t.unsupported("groups=%s (gradviz's conv2d has one group)" % groups)
    if len(t.shape(x)) != 4:
        t.unsupported("an unbatched input (gradviz's conv2d takes [N, C, H, W])")
    ins = [t.arg(x), t.arg(w)] + ([t.arg(b)] if b is not None else [])
    return t.emit("conv2d", ins, {"stride": _pair(stride), "padding": _pair(padding)})


@handles(aten.max_pool2d.default)
def _max_pool2d(t, n):
    x, k, stride, padding, dilation, ceil = _args(n, None, None, [], 0, 1, False)
    if _pair(dilation) != [1, 1] or ceil:
        t.unsupported("dilation or ceil_mode (gradviz's max_pool2d has neither)")
    if len(t.shape(x)) != 4:
        t.unsupported("an unbatched input (gradviz's max_pool2d takes [N, C, H, W])")
    stride = _pair(stride) if stride else _pair(k)
    return t.emit("max_pool2d", [t.arg(x)], {"kernel_size": _pair(k), "stride": stride,
                                             "padding": _pair(padding)})


@handles(aten.avg_pool2d.default)
def _avg_pool2d(t, n):
    x, k, stride, padding, ceil, include_pad, divisor = _args(n, None, None, [], 0, False, True, None)
    padding = _pair(padding)
    if ceil or divisor is not None or (not include_pad and padding != [0, 0]):
        t.unsupported("ceil_mode, divisor_override or count_include_pad=False with padding")
    if len(t.shape(x)) != 4:
        t.unsupported("an unbatched input (gradviz's avg_pool2d takes [N, C, H, W])")
    stride = _pair(stride) if stride else _pair(k)
    return t.emit("avg_pool2d", [t.arg(x)], {"kernel_size": _pair(k), "stride": stride,
                                             "padding": padding})


@handles(aten.dropout.default, aten.native_dropout.default)
def _dropout(t, n):
    x, p, train = _args(n, None, 0.5, True)
    if train and p > 0:
        t.unsupported("dropout in training mode: PyTorch's random mask cannot be reproduced; "
                      "call model.eval() (or use p=0) to draw it")
    return t.arg(x) if n.target == aten.dropout.default else [t.arg(x), None]


# ---- losses -------------------------------------------------------------------------

@handles(aten.cross_entropy_loss.default)
def _cross_entropy(t, n):
    x, target, weight, reduction, ignore, smoothing = _args(n, None, None, None, 1, -100, 0.0)
    if weight is not None or smoothing:
        t.unsupported("class weights or label smoothing (gradviz's cross_entropy has neither)")
    if t.value(target).is_floating_point():
        t.unsupported("class probabilities as targets (gradviz's cross_entropy takes class indices)")
    return t.emit("cross_entropy", [t.arg(x), t.arg(target)],
                  {"reduction": _reduction(t, reduction), "ignore_index": ignore})


@handles(aten.mse_loss.default)
def _mse(t, n):
    a, b, reduction = _args(n, None, None, 1)
    return t.emit("mse_loss", [t.arg(a), t.arg(b)], {"reduction": _reduction(t, reduction)})


@handles(aten.binary_cross_entropy_with_logits.default)
def _bce(t, n):
    x, target, weight, pos_weight, reduction = _args(n, None, None, None, None, 1)
    if weight is not None or pos_weight is not None:
        t.unsupported("weight or pos_weight (gradviz's bce_with_logits has neither)")
    return t.emit("bce_with_logits", [t.arg(x), t.arg(target)], {"reduction": _reduction(t, reduction)})
