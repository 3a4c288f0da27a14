"""Real models exported and computed by gradviz: values and every parameter's gradient equal
PyTorch eager's (float64) to 1e-10 relative, nodes are grouped by module, drawings render."""

import copy
import json
import os

import pytest
import torch

import gradviz_torch as gv
from gradviz_torch import _binary

import models


def eager(model, args, loss):
    """PyTorch's own float64 forward and backward, on copies."""
    saved = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        m = copy.deepcopy(model).double()
        a = tuple(x.detach().double() if x.is_floating_point() else x for x in args)
        out = loss(m(*a))
        out.backward()
    finally:
        torch.set_default_dtype(saved)
    return out.item(), {k: p.grad for k, p in m.named_parameters()}


def rel(a, b):
    """max |a - b| relative to the larger tensor's magnitude; a gradient that is zero in
    exact arithmetic (a bias before batch norm) is rounding noise: measured against 1e-3."""
    a = torch.as_tensor(a, dtype=torch.float64)
    b = torch.as_tensor(b, dtype=torch.float64).reshape(a.shape)
    scale = max(a.abs().max().item(), b.abs().max().item(), 1e-3)
    return (a - b).abs().max().item() / scale


@pytest.mark.parametrize("name", sorted(models.ALL))
def test_model_matches_pytorch(name):
    model, args, loss, groups = models.ALL[name]()
    before = copy.deepcopy(model.state_dict())
    # check exports the model and compares every value eager autograd tracks (below); the
    # test compares values and parameter gradients itself first.
    checked = gv.check(model, args, loss, rtol=1e-10, atol=1e-13, draw="svg")
    doc = checked.exported.model
    result = json.loads(_binary.run(doc, "json"))

    value, grads = eager(model, args, loss)
    out = doc["outputs"][0]
    assert rel(result["values"][out], value) < 1e-10
    params = dict(model.named_parameters())
    assert params, name
    for pname, g in grads.items():
        assert doc["inputs"][pname]["grad"] is True
        assert rel(result["grads"][pname], g) < 1e-10, pname
    # Data inputs carry no gradient; every parameter is an input under its state_dict name.
    assert set(params) <= set(doc["inputs"])
    for id, entry in doc["inputs"].items():
        if id not in params:
            assert entry["grad"] is False, id

    # Grouped as the model is written; the module's output labelled with its name.
    found = {n["group"] for n in doc["nodes"] if "group" in n}
    assert found == groups
    for g in groups - {"loss"}:
        assert any(n.get("label") == g.split("/")[-1] for n in doc["nodes"] if n.get("group") == g), g

    # The user's model is untouched (a float64 copy was traced).
    for k, v in model.state_dict().items():
        assert v.dtype == before[k].dtype and torch.equal(v, before[k]), k

    # Every intermediate value eager autograd tracks agrees too (check's own comparison).
    result = checked
    assert result.passed, result.table()
    assert result.values_max_rel < 1e-10
    assert sum(i.kind == "value" for i in result.items) >= 4
    assert {i.id for i in result.items if i.kind == "parameter"} == set(grads)
    svg = result.drawing.text
    assert svg.lstrip().startswith("<?xml") and "</svg>" in svg
    assert "check&#45;failed" not in svg and "check&#45;passed" in svg   # Graphviz writes - as &#45;
    for g in groups:
        assert ">%s<" % g.split("/")[-1] in svg or g in svg, g


def test_draw_returns_a_drawing_that_shows_and_saves(tmp_path):
    model, args, loss, _ = models.mlp()
    d = gv.draw(model, args, loss)
    assert d.format == "svg" and d._repr_svg_().lstrip().startswith("<?xml")
    assert d._repr_png_() is None
    path = d.save(tmp_path / "mlp.svg")
    assert open(path, "rb").read() == d.data
    umask = os.umask(0)
    os.umask(umask)
    assert os.stat(path).st_mode & 0o777 == 0o666 & ~umask
    png = gv.draw(model, args, loss, format="png", rankdir="TB")
    assert png.data[:8] == b"\x89PNG\r\n\x1a\n" and png._repr_png_() == png.data and png._repr_svg_() is None
    # Deterministic: the same model gives the same bytes.
    assert gv.draw(model, args, loss).data == d.data
    # The HTML explorer shows in Jupyter in an iframe of its own.
    page = gv.draw(model, args, loss, format="html")
    assert page.data.lstrip().lower().startswith(b"<!doctype html") and page._repr_svg_() is None
    assert page._repr_html_().startswith("<iframe") and "&lt;!DOCTYPE html&gt;" in page._repr_html_()


def test_export_saves_a_model_gradviz_reads(tmp_path):
    model, args, loss, _ = models.shapes()
    e = gv.export(model, args, loss)
    path = e.save(tmp_path / "shapes.json")
    with open(path) as f:
        assert json.load(f) == e.model
    assert "float64" in e.model["description"]
    ops = {n["op"] for n in e.model["nodes"]}
    assert {"concat", "slice", "transpose", "reshape", "split"} <= ops


def test_args_with_requires_grad_get_gradients():
    torch.manual_seed(5)
    x = torch.randn(3, 4, requires_grad=True)
    w = torch.randn(4)

    def f(x):
        return (torch.tanh(x) * w).sum()

    e = gv.export(f, (x,))
    assert e.model["inputs"]["x"]["grad"] is True
    result = json.loads(_binary.run(e.model, "json"))
    x64 = x.detach().double().requires_grad_()
    (torch.tanh(x64) * w.double()).sum().backward()
    assert rel(result["grads"]["x"], x64.grad) < 1e-12
    assert x.grad is None   # the user's tensor is untouched
    r = gv.check(f, (x,), draw=None)
    assert r.passed and any(i.kind == "argument" for i in r.items)


def test_sequential_names_keep_their_state_dict_names():
    torch.manual_seed(6)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(inplace=True), torch.nn.Linear(4, 1))
    r = gv.check(model, (torch.randn(2, 3),), loss=lambda o: o.pow(2).sum(), rtol=1e-10, draw=None)
    assert r.passed, r.table()
    inputs = r.exported.model["inputs"]
    # Ids cannot start with a digit: `0.weight` is `_0.weight`, labelled with its real name.
    assert inputs["_0.weight"]["label"] == "0.weight" and inputs["_2.bias"]["grad"] is True
    assert {n.get("group") for n in r.exported.model["nodes"]} >= {"0", "1", "2"}


def test_export_is_the_dict_itself():
    model, args, loss, _ = models.mlp()
    e = gv.export(model, args, loss)
    assert isinstance(e, dict) and json.loads(json.dumps(e)) == e.model
    assert list(e) == ["gradviz", "name", "description", "inputs", "nodes", "outputs"]
