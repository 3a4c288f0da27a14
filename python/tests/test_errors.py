"""What cannot be translated faithfully is one clear error, never an approximation."""

import json
import os

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

import gradviz_torch as gv
from gradviz_torch import _binary


class UsesErf(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 3)

    def forward(self, x):
        return torch.erf(self.fc(x)).sum()   # the line the error must name


def test_unsupported_op_names_the_aten_op_and_the_source_line():
    with pytest.raises(gv.UnsupportedOpError) as info:
        gv.export(UsesErf(), (torch.randn(2, 3),))
    e = info.value
    assert e.aten_op == "aten.erf.default"
    assert e.source.startswith(os.path.abspath(__file__) + ":")
    assert e.source.endswith("return torch.erf(self.fc(x)).sum()   # the line the error must name")
    assert "gradviz has no op for aten.erf.default" in str(e) and "\n" not in str(e)


def test_unsupported_ops_on_data_only_are_folded_into_data():
    # erf of data needs no gradient: it is a data input holding PyTorch's values.
    class Scaled(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.randn(3))

        def forward(self, x):
            return (torch.erf(x) * self.w).sum()

    x = torch.randn(3)
    e = gv.export(Scaled(), (x,))
    assert "aten.erf" in json.dumps(e.model["inputs"]) and all(n["op"] != "erf" for n in e.model["nodes"])
    r = gv.check(Scaled(), (x,), draw=None)
    assert r.passed and [i.id for i in r.items if i.kind == "parameter"] == ["w"]


def test_training_dropout_is_refused():
    model = nn.Sequential(nn.Linear(3, 3), nn.Dropout(0.5))
    model.train()
    with pytest.raises(gv.UnsupportedOpError, match="dropout in training mode.*model.eval"):
        gv.export(model, (torch.randn(2, 3),), loss=lambda o: o.sum())


def test_non_scalar_output_asks_for_a_loss():
    with pytest.raises(gv.ExportError, match=r"output has shape \[2, 3\], not a scalar: pass loss="):
        gv.export(nn.Linear(3, 3), (torch.randn(2, 3),))


def test_options_gradviz_lacks_are_errors():
    with pytest.raises(gv.UnsupportedOpError, match="label smoothing"):
        gv.export(nn.Linear(3, 2), (torch.randn(2, 3),),
                  loss=lambda o: F.cross_entropy(o, torch.tensor([0, 1]), label_smoothing=0.1))
    with pytest.raises(gv.UnsupportedOpError, match="groups=2"):
        gv.export(nn.Conv2d(2, 2, 1, groups=2), (torch.randn(1, 2, 3, 3),), loss=lambda o: o.sum())


def test_gradviz_errors_come_back_with_its_one_line_message():
    bad = {"inputs": {"x": [1.0, 2.0]}, "nodes": [{"id": "y", "op": "matmul", "inputs": ["x", "z"]}]}
    with pytest.raises(gv.GradvizError) as info:
        _binary.run(bad, "svg", name="bad")
    message = str(info.value)
    assert message.startswith("gradviz: bad.json:") and "'z'" in message and "\n" not in message
    assert info.value.status == 2


def test_a_missing_binary_is_a_clear_error(tmp_path):
    model = nn.Linear(2, 1)
    with pytest.raises(gv.GradvizError, match="not an executable gradviz"):
        gv.draw(model, (torch.randn(2),), loss=lambda o: o.sum(), gradviz=str(tmp_path / "nope"))
    with pytest.raises(ValueError, match="format must be one of"):
        gv.draw(model, (torch.randn(2),), loss=lambda o: o.sum(), format="gif")


def test_random_numbers_in_the_forward_are_refused():
    w = nn.Parameter(torch.randn(3))

    class Noisy(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = w

        def forward(self, x):
            return (x * self.w + torch.randn(3)).sum()

    with pytest.raises(gv.UnsupportedOpError, match=r"aten.randn.default \(node 'randn'\) draws random numbers at .*test_errors.py:\d+: return \(x \* self.w \+ torch.randn\(3\)\).sum\(\)"):
        gv.export(Noisy(), (torch.randn(3),))
