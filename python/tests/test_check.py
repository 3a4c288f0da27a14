"""check finds a wrong custom autograd.Function backward at its node; a right one passes."""

import torch
import torch.nn as nn
import torch.nn.functional as F

import gradviz_torch as gv


class Swish(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * torch.sigmoid(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        s = torch.sigmoid(x)
        return g * (s + x * s * (1 - s))


class SquareMissingFactor(torch.autograd.Function):
    """d(x²)/dx written as x: the factor 2 is missing."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * x


class LinearWrongTranspose(torch.autograd.Function):
    """y = x Wᵀ with dW written as xᵀ g instead of gᵀ x (square W: the shapes still fit)."""

    @staticmethod
    def forward(ctx, x, w):
        ctx.save_for_backward(x, w)
        return x @ w.t()

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        return g @ w, x.t() @ g


class AddBiasWrongSum(torch.autograd.Function):
    """y = x + b with b broadcast over the rows; db summed over the wrong axis (x is square)."""

    @staticmethod
    def forward(ctx, x, b):
        return x + b

    @staticmethod
    def backward(ctx, g):
        return g, g.sum(dim=1)


class Net(nn.Module):
    def __init__(self, fn=None):
        super().__init__()
        self.fc = nn.Linear(4, 4)
        self.w = nn.Parameter(torch.randn(4, 4))
        self.b = nn.Parameter(torch.randn(4))
        self.fn = fn

    def forward(self, x):
        h = self.fc(x)
        if self.fn == "swish":
            h = Swish.apply(h)
        elif self.fn == "square":
            h = SquareMissingFactor.apply(h)
        elif self.fn == "transpose":
            h = LinearWrongTranspose.apply(h, self.w)
        elif self.fn == "broadcast":
            h = AddBiasWrongSum.apply(h, self.b)
        return torch.tanh(h).sum(dim=1)


def run(fn):
    torch.manual_seed(0)
    model = Net(fn)
    x = torch.randn(4, 4)
    target = torch.randn(4)
    return gv.check(model, (x,), loss=lambda out: F.mse_loss(out, target))


def producer(result, op):
    """The gradviz id of the one node computing `op` inside the model (not fc)."""
    ids = [n["id"] for n in result.exported.model["nodes"] if n["op"] == op and n.get("group") != "fc" and "id" in n]
    assert len(ids) == 1, ids
    return ids[0]


def test_correct_backward_passes():
    r = run("swish")
    assert r.passed, r.table()
    assert r.function is None and r.blamed == []
    assert "every gradient agrees" in r.message
    assert "check&#45;failed" not in r.drawing.text


def test_missing_factor_is_found_at_its_node():
    r = run("square")
    assert not r.passed
    assert r.function == "SquareMissingFactor"
    assert r.first.id == "fc"              # the Function's input: its gradient is the first wrong one
    assert r.blamed == [producer(r, "mul")]
    assert r.first.gradviz.sub(2 * r.first.pytorch).abs().max() < 1e-12   # off by exactly the factor 2
    assert "SquareMissingFactor" in r.message and "'fc'" in r.message
    svg = r.drawing.text
    assert "check&#45;failed" in svg and "SquareMissingFactor.backward disagrees" in svg
    # Every value after the Function (in backward order: before it) still agrees.
    ok_before = [i.ok for i in r.items[: r.items.index(r.first)]]
    assert ok_before and all(ok_before)


def test_wrong_transpose_is_found_at_its_node():
    r = run("transpose")
    assert not r.passed
    assert r.function == "LinearWrongTranspose"
    # The gradient into x is right; the one into W (a parameter, last in backward order) is
    # the transpose of the truth.
    wrong = [i.id for i in r.items if not i.ok]
    assert r.first.id == "w" and wrong == ["w"]
    assert torch.allclose(r.first.pytorch, r.first.gradviz.t(), rtol=1e-12, atol=1e-14)
    assert producer(r, "matmul") in r.blamed
    assert "check&#45;failed" in r.drawing.text


def test_broadcast_summed_wrong_is_found_at_its_node():
    r = run("broadcast")
    assert not r.passed
    assert r.function == "AddBiasWrongSum"
    assert r.first.id == "b"
    assert r.blamed == [producer(r, "add")]
    assert "check&#45;failed" in r.drawing.text


def test_report_table_and_jupyter_html():
    r = run("square")
    text = r.table()
    assert "DIFFER" in text and "SquareMissingFactor" in text
    html = r._repr_html_()
    assert html.startswith("<pre") and "<svg" in html
    d = r.as_dict()
    assert d["passed"] is False and d["first"] == "fc" and d["function"] == "SquareMissingFactor"
