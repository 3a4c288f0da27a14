"""Each ATen op the exporter translates, against PyTorch eager: value and every
parameter's gradient to 1e-10 relative (a few ops per case, to keep the suite fast)."""

import json
import math

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

import gradviz_torch as gv
from gradviz_torch import _binary

from test_models import eager, rel


class Case(nn.Module):
    def __init__(self, f, *shapes):
        super().__init__()
        self.f = f
        self.p = nn.ParameterList([nn.Parameter(torch.randn(*s)) for s in shapes])

    def forward(self, x):
        return self.f(x, *self.p)


PROBABILITIES = torch.rand(3, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64)

CASES = {
    "elementwise": (lambda x, a, b: (torch.exp(-x.abs()) * torch.sin(a) + torch.cos(b) - torch.sqrt(a * a + 1)
                                     + torch.log(b * b + 2) / 3 + torch.rsqrt(x * x + 1) + torch.reciprocal(a + 5)
                                     + (a + 3) ** 1.5 + torch.maximum(x, a) - torch.minimum(x, b)
                                     + 2 - x + torch.square(b) + x.pow(2) - 0.5 * torch.neg(a)).sum(),
                    [4], [4]),
    "activations": (lambda x, a: (F.softplus(x * a) + F.softplus(x, beta=2.0) + F.leaky_relu(x - a, 0.2)
                                  + F.gelu(x * a, approximate="tanh") + F.gelu(a) + torch.tanh(x) * torch.sigmoid(a)
                                  + F.relu(x + a) + F.silu(a)).sum(),
                    [4]),
    "reductions": (lambda x, w: ((x @ w).sum(dim=0) * (x @ w).mean(dim=1, keepdim=True).sum()
                                 + torch.amax(x @ w, dim=1).sum() + torch.logsumexp(x @ w, dim=0).sum()
                                 + torch.max(x @ w, dim=1).values.sum() + (x @ w).max()).mean(),
                   [4, 3], ),
    "softmax_losses": (lambda x, w: F.cross_entropy(x @ w, torch.tensor([1, 0, 2]), reduction="sum")
                       + F.log_softmax(x @ w, dim=0).mean() + F.softmax(x @ w, dim=-1)[:, 0].sum()
                       + F.binary_cross_entropy_with_logits(x @ w, PROBABILITIES)
                       + F.mse_loss(x @ w, torch.ones(3, 3), reduction="sum")
                       + F.cross_entropy(x @ w, torch.tensor([1, -100, 2]), reduction="none").sum(),
                       [4, 3]),
    "norms": (lambda x, w, b: (F.layer_norm(x, (4,), w, b) * F.layer_norm(x, (3, 4))).sum()
              + F.batch_norm(x.reshape(3, 4, 1), torch.zeros(4), torch.ones(4), w, b, training=True).pow(3).sum()
              + F.batch_norm(x, torch.zeros(4) + 0.5, torch.ones(4) * 2, None, None, training=False).pow(2).sum(),
              [4], [4]),
    "conv_pool": (lambda x, w, b: F.avg_pool2d(F.conv2d(x, w, b, stride=(1, 2), padding=1), 2, padding=1).sum()
                  + F.max_pool2d(F.conv2d(x, w), 2, stride=1).pow(2).sum(),
                  [3, 2, 3, 3], [3]),
    "views": (lambda x, w: torch.stack(list((x @ w).unbind(0)), dim=1).narrow(0, 1, 2).sum()
              + (x @ w).select(1, -1).unsqueeze(1).expand(4, 3).pow(2).sum()
              + torch.cat((x @ w).chunk(3, dim=1)[::-1], dim=0).t().reshape(-1)[::2].pow(2).sum()
              + (x @ w).permute(1, 0).flatten().view(3, 4).transpose(0, 1).pow(3).sum(),
              [4, 3]),
    "attention": (lambda x, w: F.scaled_dot_product_attention(*(x @ w).reshape(1, 4, 3, 3).unbind(-1)).pow(2).sum(),
                  [4, 9]),
    "matmul_shapes": (lambda x, a, b: torch.matmul(x, b).pow(2).sum() + (a @ x[0]).sum()
                      + torch.matmul(x[0, 0], b).sum() + torch.matmul(x[0], x[1, 0]).sum()
                      + torch.matmul(x[1, 0], x[0, 1]) + torch.bmm(x, b.expand(2, 3, 2)).sum(),
                      [3, 4], [3, 2]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_op_matches_pytorch(name):
    f, *shapes = CASES[name]
    torch.manual_seed(len(name))
    model = Case(f, *shapes)
    x = torch.randn(3, 4) if name not in ("conv_pool", "views", "attention") else None
    if name == "conv_pool":
        x = torch.randn(2, 2, 5, 6)
    elif name in ("views", "attention"):
        x = torch.randn(4, 4)
    if name == "matmul_shapes":
        x = torch.randn(2, 4, 3)
    try:
        exported = gv.export(model, (x,))
    except gv.UnsupportedOpError as e:
        pytest.fail(str(e))
    result = json.loads(_binary.run(exported.model, "json"))
    value, grads = eager(model, (x,), lambda out: out)
    assert rel(result["values"][exported.model["outputs"][0]], value) < 1e-10
    for pname, g in grads.items():
        assert rel(result["grads"][pname], g) < 1e-10, pname
