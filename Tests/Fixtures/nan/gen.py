#!/usr/bin/env python3
"""Writes ops.json: PyTorch's float64 forward values and gradients of gradviz's ops at
NaN, infinities, signed zeros, ties and kinks, with NaN and infinite upstream gradients.

    python3 Tests/Fixtures/nan/gen.py      # rewrites Tests/Fixtures/nan/ops.json

NaNSemanticsTests.swift compares gradviz's vjp (and the engine's scalar path) with these
numbers: NaN where PyTorch gives NaN, zeros and infinities with their signs.
Every number is written as a string (Python's repr: "nan", "-inf", "-0.0", "0.1"), which
Swift's Double(_:) reads back exactly; JSON has no NaN and loses the sign of zero.
"""
import itertools
import json
import math
import os

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
nan, inf = float("nan"), float("inf")

# Values of x and of the upstream gradient g crossed in every elementwise case.
X = [-2.0, -1.0, -0.0, 0.0, 0.5, 1.0, 3.0, inf, -inf, nan]
G = [1.0, -1.0, 0.0, inf, -inf, nan]
AB = [-1.0, -0.0, 0.0, 1.0, 2.0, inf, -inf, nan]
GB = [1.0, -1.0, 0.0, inf, nan]

cases = []


def enc(t):
    t = t.detach()
    return {"shape": list(t.shape), "data": [repr(float(v)) for v in t.reshape(-1).tolist()]}


def case(name, op, attrs, inputs, needs, upstream, fn):
    """fn(*tensors) -> tensor or tuple of tensors, as gradviz's op `op` with `attrs`."""
    ts = [torch.tensor(v, dtype=torch.float64, requires_grad=n) for v, n in zip(inputs, needs)]
    out = fn(*ts)
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    ups = [torch.tensor(u, dtype=torch.float64) for u in upstream]
    wanted = [t for t in ts if t.requires_grad]
    grads = torch.autograd.grad(outs, wanted, grad_outputs=ups, allow_unused=True)
    it = iter(grads)
    cases.append({
        "name": name, "op": op, "attrs": attrs,
        "inputs": [enc(t) for t in ts], "needs": needs,
        "upstream": [enc(u) for u in ups],
        "outputs": [enc(o) for o in outs],
        "grads": [enc(next(it)) if n else None for n in needs],
    })


# Attributes as [name, kind, value]: kind is int, double, string, ints, null or bool.
def unary(op, fn, attrs=(), xs=X):
    pairs = list(itertools.product(xs, G))
    case(op, op, list(attrs), [[x for x, _ in pairs]], [True], [[g for _, g in pairs]], fn)


def binary(op, fn):
    triples = list(itertools.product(AB, AB, GB))
    case(op, op, [], [[a for a, _, _ in triples], [b for _, b, _ in triples]], [True, True],
         [[g for _, _, g in triples]], fn)
    # Broadcasting: the gradient of a broadcast input sums over the broadcast axis.
    a = [[1.0], [nan], [inf], [0.0]]
    b = [[1.0, 0.0, -inf, nan, 2.0]]
    g = [[1.0, inf, 1.0, 1.0, 0.0], [1.0, 1.0, 1.0, 1.0, 1.0], [1.0, 1.0, nan, 1.0, 1.0], [inf, 1.0, 1.0, 1.0, -inf]]
    case(op + " broadcast", op, [], [a, b], [True, True], [g], fn)


def gelu_tanh(x):
    return F.gelu(x, approximate="tanh")


unary("neg", torch.neg)
unary("exp", torch.exp)
unary("log", torch.log)
unary("sqrt", torch.sqrt)
unary("square", torch.square)
unary("abs", torch.abs)
unary("sin", torch.sin)
unary("cos", torch.cos)
unary("tanh", torch.tanh)
unary("sigmoid", torch.sigmoid)
unary("relu", torch.relu)
unary("softplus", F.softplus, xs=X + [19.5, 20.0, 20.5, 40.0, -40.0])
unary("leaky_relu", F.leaky_relu)
unary("leaky_relu", lambda x: F.leaky_relu(x, 0.0), attrs=[["negative_slope", "double", 0.0]])
unary("gelu", F.gelu)
unary("gelu", gelu_tanh, attrs=[["approximate", "string", "tanh"]])
unary("identity", lambda x: x.clone())
for c in cases:
    if c["attrs"]:
        c["name"] += " " + " ".join(f"{n}={v}" for n, _, v in c["attrs"])

binary("add", torch.add)
binary("sub", torch.sub)
binary("mul", torch.mul)
binary("div", torch.div)
binary("pow", torch.pow)
binary("maximum", torch.maximum)
binary("minimum", torch.minimum)

# max (torch.amax): ties share the gradient; a NaN row, a row with two infinities.
rows = [[1.0, nan, 3.0], [2.0, 2.0, 1.0], [-inf, -inf, -inf], [1.0, inf, inf], [1.0, 2.0, 3.0], [0.0, -0.0, -1.0]]
case("max axis=1", "max", [["axis", "ints", [1]]], [rows], [True], [[1.0, 1.0, 1.0, inf, nan, -1.0]],
     lambda x: torch.amax(x, 1))
case("max all", "max", [], [[[1.0, 5.0], [5.0, 0.0]]], [True], [inf], lambda x: torch.amax(x))

case("sum axis=1", "sum", [["axis", "ints", [1]]], [rows], [True], [[1.0, inf, nan, -inf, 0.0, -1.0]],
     lambda x: torch.sum(x, 1))
case("mean axis=1", "mean", [["axis", "ints", [1]]], [rows], [True], [[1.0, inf, nan, -inf, 0.0, -1.0]],
     lambda x: torch.mean(x, 1))
lse_rows = [[1.0, 2.0, 3.0], [-inf, -inf, -inf], [1.0, inf, 0.0], [1.0, nan, 0.0], [1.0, -inf, 0.0], [inf, inf, 1.0]]
case("logsumexp axis=1", "logsumexp", [["axis", "ints", [1]]], [lse_rows], [True], [[inf, 1.0, 1.0, 1.0, 1.0, 1.0]],
     lambda x: torch.logsumexp(x, 1))
case("softmax", "softmax", [], [lse_rows], [True],
     [[[1.0, 0.0, 0.0], [1.0, 1.0, 1.0], [1.0, 2.0, 3.0], [1.0, 2.0, 3.0], [inf, 1.0, 0.0], [1.0, 2.0, 3.0]]],
     lambda x: torch.softmax(x, -1))
case("log_softmax", "log_softmax", [], [lse_rows], [True],
     [[[1.0, 0.0, 0.0], [1.0, 1.0, 1.0], [1.0, 2.0, 3.0], [1.0, 2.0, 3.0], [inf, 1.0, 0.0], [1.0, 2.0, 3.0]]],
     lambda x: torch.log_softmax(x, -1))

# Losses. cross_entropy: ignored targets get exactly 0, whatever the upstream gradient.
logits = [[1.0, 2.0, 3.0], [1.0, inf, 0.0], [nan, 0.0, 0.0], [-inf, 0.0, 1.0], [0.5, 0.5, 0.5]]
targets = [2.0, -100.0, -100.0, 2.0, 1.0]
for reduction, g in [("mean", inf), ("sum", nan), ("mean", 1.0)]:
    case(f"cross_entropy reduction={reduction} g={g}", "cross_entropy", [["reduction", "string", reduction]],
         [logits, targets], [True, False], [g],
         lambda z, t, r=reduction: F.cross_entropy(z, t.long(), reduction=r))
case("cross_entropy reduction=none", "cross_entropy", [["reduction", "string", "none"]],
     [logits, targets], [True, False], [[inf, nan, inf, 1.0, -1.0]],
     lambda z, t: F.cross_entropy(z, t.long(), reduction="none"))
case("cross_entropy all ignored", "cross_entropy", [["ignore_index", "int", 1]],
     [[[1.0, 2.0], [nan, 0.0]], [1.0, 1.0]], [True, False], [1.0],
     lambda z, t: F.cross_entropy(z, t.long(), ignore_index=1))

pred = [1.0, inf, nan, 0.0, -inf, 2.0]
target = [1.0, inf, 0.0, nan, 1.0, 2.0]
case("mse_loss reduction=none", "mse_loss", [["reduction", "string", "none"]], [pred, target], [True, True],
     [[inf, 1.0, 1.0, 1.0, 1.0, nan]], lambda p, t: F.mse_loss(p, t, reduction="none"))
case("mse_loss mean", "mse_loss", [], [[1.0, 2.0, 3.0], [1.0, 0.0, 3.0]], [True, True], [inf],
     lambda p, t: F.mse_loss(p, t))
case("bce_with_logits reduction=none", "bce_with_logits", [["reduction", "string", "none"]],
     [[0.0, inf, -inf, nan, 800.0, -800.0, 1.0], [0.5, 1.0, 0.0, 1.0, 1.0, 0.0, 0.0]], [True, True],
     [[inf, 1.0, 1.0, 1.0, nan, 0.0, -inf]],
     lambda z, t: F.binary_cross_entropy_with_logits(z, t, reduction="none"))


# dropout: gradviz's mask is its own (SplitMix64, docs/model-format.md); PyTorch's CPU
# dropout is input * noise with noise = bernoulli(1 - p) / (1 - p), so its gradient is
# grad * noise: an infinite or NaN upstream gradient on a dropped element gives NaN.
# The same product with gradviz's noise gives PyTorch's numbers for gradviz's mask.
def splitmix_units(seed, count):
    mask = (1 << 64) - 1
    state, out = seed & mask, []
    for _ in range(count):
        state = (state + 0x9E3779B97F4A7C15) & mask
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
        z ^= z >> 31
        out.append((z >> 11) * 2.0 ** -53)
    return out


def check_torch_dropout_is_a_product():
    torch.manual_seed(0)
    x = torch.full((64,), 1.0, requires_grad=True)
    y = F.dropout(x, 0.5, training=True)
    noise = y.detach()
    up = torch.tensor([inf, nan, -inf, 1.0] * 16)
    (grad,) = torch.autograd.grad(y, x, up)
    assert torch.equal(grad.isnan(), (up * noise).isnan()), "PyTorch's dropout gradient is not grad * noise"
    finite = ~grad.isnan()
    assert torch.equal(grad[finite], (up * noise)[finite])


check_torch_dropout_is_a_product()
for p in [0.5, 1.0]:
    n = len(X) * len(G)
    units = splitmix_units(3, n)
    noise = torch.tensor([0.0 if p == 1 or u < p else 1 / (1 - p) for u in units])
    unary("dropout", lambda x, noise=noise: x * noise, attrs=[["p", "double", p], ["seed", "int", 3]])
    cases[-1]["name"] = f"dropout p={p}"

# max_pool2d: the gradient goes to one element per window: the last NaN if there is one,
# else the first maximum; a window of -inf (or only padding and -inf) picks its first element.
pool_x = [[[[nan, 1.0, nan, 2.0, 0.0, 0.0],
            [3.0, nan, -inf, -inf, 0.0, -0.0],
            [-inf, -inf, 1.0, 1.0, inf, inf],
            [-inf, -inf, 1.0, 1.0, 1.0, inf]]]]
case("max_pool2d", "max_pool2d", [["kernel_size", "int", 2]], [pool_x], [True],
     [[[[[1.0, -1.0, inf], [nan, -inf, 2.0]]]]], lambda x: F.max_pool2d(x, 2))
case("max_pool2d padding stride", "max_pool2d",
     [["kernel_size", "int", 3], ["stride", "int", 1], ["padding", "int", 1]], [pool_x], [True],
     [[[[[1.0, inf, 1.0, 1.0, 1.0, nan], [1.0, 1.0, -1.0, 1.0, 1.0, 1.0],
         [0.0, 1.0, 1.0, inf, 1.0, 1.0], [1.0, 1.0, 1.0, 1.0, nan, 1.0]]]]],
     lambda x: F.max_pool2d(x, 3, stride=1, padding=1))
case("avg_pool2d", "avg_pool2d", [["kernel_size", "int", 2]], [pool_x], [True],
     [[[[[1.0, -1.0, inf], [nan, -inf, 2.0]]]]], lambda x: F.avg_pool2d(x, 2))

# Ops that pick parts of a tensor: the parts not picked get exactly 0.
sx = [[1.0, nan, inf], [-inf, 0.0, 2.0]]
case("slice", "slice", [["axis", "int", 1], ["start", "int", 1], ["end", "int", 3]], [sx], [True],
     [[[inf, nan], [1.0, -inf]]], lambda x: x[:, 1:3])
case("split", "split", [["axis", "int", 1], ["sizes", "ints", [1, 2]]], [sx], [True],
     [[[inf], [nan]], [[0.0, 0.0], [0.0, 0.0]]], lambda x: torch.split(x, [1, 2], 1))
case("concat", "concat", [["axis", "int", 0]], [sx, [[nan, 1.0, 2.0]]], [True, True],
     [[[inf, nan, 1.0], [0.0, -inf, -0.0], [nan, inf, 1.0]]], lambda a, b: torch.cat([a, b], 0))
case("transpose", "transpose", [], [sx], [True], [[[inf, -0.0], [nan, 1.0], [1.0, -inf]]], lambda x: x.t())
case("reshape", "reshape", [["shape", "ints", [3, 2]]], [sx], [True], [[[inf, -0.0], [nan, 1.0], [1.0, -inf]]],
     lambda x: x.reshape(3, 2))

# Whole graphs (NaNSemanticsTests builds each one by name): the gradient that reaches x.
graphs = []


def graph(name, inputs, fn):
    ts = {k: torch.tensor(v, requires_grad=True) for k, v in inputs.items()}
    fn(**ts).backward()
    graphs.append({"name": name, "inputs": {k: enc(t) for k, t in ts.items()},
                   "grads": {k: enc(t.grad) for k, t in ts.items()}})


# The example: relu selects, so the NaN of sqrt's backward at 0 stops there.
graph("relu(x) * sqrt(relu(x))", {"x": -1.0}, lambda x: torch.relu(x) * torch.sqrt(torch.relu(x)))
graph("maximum(x, 0) * sqrt(maximum(x, 0))", {"x": -1.0},
      lambda x: torch.maximum(x, torch.tensor(0.0)) * torch.sqrt(torch.maximum(x, torch.tensor(0.0))))
# The distance between two equal points: finite forward, NaN gradient (0 * inf in sqrt).
graph("sqrt(sum((a - b)^2))", {"a": [1.0, 2.0], "b": [1.0, 2.0]}, lambda a, b: torch.sqrt(torch.sum((a - b) ** 2)))

here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "ops.json"), "w") as f:
    json.dump({"generator": "Tests/Fixtures/nan/gen.py", "torch": torch.__version__.split("+")[0], "cases": cases, "graphs": graphs},
              f, indent=None, separators=(",", ":"))
    f.write("\n")
print(f"wrote {len(cases)} cases to {os.path.join(here, 'ops.json')}")
