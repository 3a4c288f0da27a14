#!/usr/bin/env python3
"""Writes the tensor benchmark models of bench/tensor as gradviz model files.

Every input is a shape with a seeded init (no numbers in the files), so the files are
small and bench/tensor/torch_model.py rebuilds exactly the same tensors.

    matmul-1200.json, matmul-3000.json   L = sum(a @ b), a and b [n, n]
    cnn.json          x [8, 3, 64, 64]: conv 3->32, relu, max pool 2, conv 32->64, relu, mean
    resnet18.json     ResNet-18 (BasicBlocks [2, 2, 2, 2], batch norm in training mode) on
                      one 224x224 image, 1000 classes, cross-entropy
    transformer.json  a pre-LN transformer block on x [4, 128, 256]: 8-head attention,
                      layer norm, MLP 256->1024->256 with GELU; L = mean(y²)

Usage: python3 bench/tensor/gen_models.py [OUTDIR]   (default: bench/tensor)
"""
import json
import math
import os
import sys


class Model:
    def __init__(self, name, description):
        self.m = {"gradviz": 1, "name": name, "description": description, "inputs": {}, "nodes": []}
        self.seed = 0

    def data(self, name, shape, init="normal", grad=False, **kw):
        self.seed += 1
        spec = {"shape": shape, "init": init, "grad": grad}
        if init in ("normal", "uniform"):
            spec["seed"] = self.seed
        spec.update(kw)
        self.m["inputs"][name] = spec
        return name

    def param(self, name, shape, init="normal", **kw):
        return self.data(name, shape, init, grad=True, **kw)

    def node(self, id, op, inputs, group=None, **attrs):
        n = {"id": id, "op": op, "inputs": inputs}
        if attrs:
            n["attrs"] = attrs
        if group:
            n["group"] = group
        self.m["nodes"].append(n)
        return id

    def write(self, path):
        with open(path, "w") as f:
            json.dump(self.m, f, indent=1)
            f.write("\n")


def matmul(n):
    m = Model(f"matmul-{n}", f"L = sum(a @ b), a and b [{n}, {n}]")
    a = m.param("a", [n, n], std=1.0)
    b = m.param("b", [n, n], std=1.0)
    m.node("L", "sum", [m.node("c", "matmul", [a, b])])
    return m


def he(fan_in):
    return math.sqrt(2.0 / fan_in)


def cnn():
    m = Model("cnn", "x [8, 3, 64, 64]: conv 3->32, relu, max pool 2, conv 32->64, relu, mean")
    x = m.data("x", [8, 3, 64, 64])
    w1 = m.param("w1", [32, 3, 3, 3], std=he(27))
    b1 = m.param("b1", [32], "zeros")
    w2 = m.param("w2", [64, 32, 3, 3], std=he(288))
    b2 = m.param("b2", [64], "zeros")
    h = m.node("h1", "conv2d", [x, w1, b1], padding=1)
    h = m.node("r1", "relu", [h])
    h = m.node("p1", "max_pool2d", [h], kernel_size=2)
    h = m.node("h2", "conv2d", [h, w2, b2], padding=1)
    h = m.node("r2", "relu", [h])
    m.node("L", "mean", [h])
    return m


def resnet18():
    m = Model("resnet18", "ResNet-18 on one 224x224 image, batch norm in training mode, cross-entropy")
    x = m.data("x", [1, 3, 224, 224])
    target = m.data("target", [1], "full", fill=7)

    def conv_bn(name, h, cin, cout, k, stride, pad, relu, group):
        w = m.param(f"{name}.w", [cout, cin, k, k], std=he(cin * k * k))
        g = m.param(f"{name}.bn.w", [cout], "ones")
        b = m.param(f"{name}.bn.b", [cout], "zeros")
        h = m.node(f"{name}", "conv2d", [h, w], group, stride=stride, padding=pad)
        h = m.node(f"{name}.bn", "batch_norm", [h, g, b], group)
        return m.node(f"{name}.relu", "relu", [h], group) if relu else h

    h = conv_bn("conv1", x, 3, 64, 7, 2, 3, True, "stem")
    h = m.node("pool", "max_pool2d", [h], "stem", kernel_size=3, stride=2, padding=1)
    cin = 64
    for layer, cout in enumerate([64, 128, 256, 512], start=1):
        for block in range(2):
            stride = 2 if layer > 1 and block == 0 else 1
            name = f"layer{layer}.{block}"
            y = conv_bn(f"{name}.conv1", h, cin, cout, 3, stride, 1, True, name)
            y = conv_bn(f"{name}.conv2", y, cout, cout, 3, 1, 1, False, name)
            if stride != 1 or cin != cout:
                h = conv_bn(f"{name}.down", h, cin, cout, 1, stride, 0, False, name)
            h = m.node(f"{name}.add", "add", [y, h], name)
            h = m.node(f"{name}.relu", "relu", [h], name)
            cin = cout
    h = m.node("avgpool", "mean", [h], "head", axis=[2, 3])
    w = m.param("fc.w", [512, 1000], std=1 / math.sqrt(512))
    b = m.param("fc.b", [1000], "zeros")
    h = m.node("fc", "add", [m.node("fc.mm", "matmul", [h, w], "head"), b], "head")
    m.node("L", "cross_entropy", [h, target], "head")
    return m


def transformer():
    B, T, D, H, F = 4, 128, 256, 8, 1024
    d = D // H
    m = Model("transformer", f"pre-LN transformer block on x [{B}, {T}, {D}]: {H}-head attention, layer norm, MLP {D}->{F}->{D}, GELU; L = mean(y²)")
    x = m.data("x", [B, T, D])
    h = m.node("ln1", "layer_norm", [x, m.param("ln1.w", [D], "ones"), m.param("ln1.b", [D], "zeros")], "attn")
    qkv = m.node("qkv", "add", [m.node("qkv.mm", "matmul", [h, m.param("w_qkv", [D, 3 * D], std=1 / math.sqrt(D))], "attn"),
                                m.param("b_qkv", [3 * D], "zeros")], "attn")
    m.m["nodes"].append({"outputs": ["q", "k", "v"], "op": "split", "inputs": [qkv], "attrs": {"axis": -1, "sizes": [D, D, D]}, "group": "attn"})
    heads = {}
    for name, perm in (("q", [0, 2, 1, 3]), ("k", [0, 2, 3, 1]), ("v", [0, 2, 1, 3])):
        r = m.node(f"{name}.heads", "reshape", [name], "attn", shape=[B, T, H, d])
        heads[name] = m.node(f"{name}.t", "transpose", [r], "attn", perm=perm)
    s = m.node("scores", "mul", [m.node("qk", "matmul", [heads["q"], heads["k"]], "attn"), 1 / math.sqrt(d)], "attn")
    p = m.node("attn.p", "softmax", [s], "attn", axis=-1)
    o = m.node("attn.o", "matmul", [p, heads["v"]], "attn")
    o = m.node("attn.merge", "reshape", [m.node("attn.ot", "transpose", [o], "attn", perm=[0, 2, 1, 3])], "attn", shape=[B, T, D])
    o = m.node("proj", "add", [m.node("proj.mm", "matmul", [o, m.param("w_o", [D, D], std=1 / math.sqrt(D))], "attn"),
                               m.param("b_o", [D], "zeros")], "attn")
    r = m.node("res1", "add", [x, o])
    h = m.node("ln2", "layer_norm", [r, m.param("ln2.w", [D], "ones"), m.param("ln2.b", [D], "zeros")], "mlp")
    h = m.node("fc1", "add", [m.node("fc1.mm", "matmul", [h, m.param("w_1", [D, F], std=1 / math.sqrt(D))], "mlp"),
                              m.param("b_1", [F], "zeros")], "mlp")
    h = m.node("gelu", "gelu", [h], "mlp")
    h = m.node("fc2", "add", [m.node("fc2.mm", "matmul", [h, m.param("w_2", [F, D], std=1 / math.sqrt(F))], "mlp"),
                              m.param("b_2", [D], "zeros")], "mlp")
    y = m.node("y", "add", [r, h])
    m.node("L", "mean", [m.node("y2", "square", [y])])
    return m


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    os.makedirs(out, exist_ok=True)
    for model in (matmul(1200), matmul(3000), cnn(), resnet18(), transformer()):
        path = os.path.join(out, model.m["name"] + ".json")
        model.write(path)
        print(path)


if __name__ == "__main__":
    main()
