"""Real models for the tests: each factory returns (model, args, loss, groups), groups
being the module paths the exported nodes must be grouped by."""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def mlp():
    torch.manual_seed(0)
    model = MLP()
    x = torch.randn(6, 8)
    y = torch.tensor([0, 3, 1, 2, 3, 0])
    return model, (x,), (lambda out: F.cross_entropy(out, y)), {"fc1", "act", "fc2", "loss"}


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(8, 16)
        self.act = nn.ReLU()
        self.fc2 = nn.Linear(16, 4)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.pool = nn.MaxPool2d(2)
        self.drop = nn.Dropout(0.5)
        self.head = nn.Linear(4 * 3 * 3, 3)

    def forward(self, x):
        h = self.pool(F.relu(self.bn(self.conv(x))))
        return self.head(self.drop(h).flatten(1))


def cnn():
    torch.manual_seed(1)
    model = CNN()
    model.train()          # batch norm with batch statistics
    model.drop.eval()      # dropout off: PyTorch's random mask cannot be reproduced
    x = torch.randn(3, 2, 6, 6)
    y = torch.tensor([2, 0, 1])
    return model, (x,), (lambda out: F.cross_entropy(out, y)), {"conv", "bn", "pool", "head", "loss"}


class Attention(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)

    def forward(self, x):
        b, t, d = x.shape
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        q, k, v = (z.reshape(b, t, self.heads, d // self.heads).transpose(1, 2) for z in (q, k, v))
        att = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(d // self.heads), dim=-1)
        return self.proj((att @ v).transpose(1, 2).reshape(b, t, d))


class Block(nn.Module):
    def __init__(self, d=8, heads=2):
        super().__init__()
        self.ln1 = nn.LayerNorm(d)
        self.attn = Attention(d, heads)
        self.ln2 = nn.LayerNorm(d)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.mlp(self.ln2(x))


def transformer():
    torch.manual_seed(2)
    model = Block()
    x = torch.randn(2, 5, 8)
    target = torch.randn(2, 5, 8)
    return (model, (x,), (lambda out: F.mse_loss(out, target)),
            {"ln1", "attn", "attn/qkv", "attn/proj", "ln2", "mlp.0", "mlp.1", "mlp.2", "loss"})


class GRU(nn.Module):
    """A GRU cell unrolled over the sequence: the same weights at every step."""

    def __init__(self, n_in=3, n_hidden=4):
        super().__init__()
        self.cell = nn.GRUCell(n_in, n_hidden)
        self.out = nn.Linear(n_hidden, 1)

    def forward(self, xs):
        h = torch.zeros(xs.shape[1], self.cell.hidden_size)
        for x in xs:
            h = self.cell(x, h)
        return self.out(h)


def gru():
    torch.manual_seed(3)
    model = GRU()
    xs = torch.randn(3, 2, 3)
    y = torch.randn(2, 1)
    return model, (xs,), (lambda out: F.mse_loss(out, y)), {"cell", "out", "loss"}


class Shapes(nn.Module):
    """Reshapes, transposes, concat and slicing around two small layers."""

    def __init__(self):
        super().__init__()
        self.a = nn.Linear(4, 6)
        self.b = nn.Linear(8, 2)

    def forward(self, x):                      # x [2, 3, 4]
        h = self.a(x)                          # [2, 3, 6]
        left, right = h[..., :3], h[..., 3:]
        z = torch.cat([right, left * 2], dim=-1).transpose(1, 2)   # [2, 6, 3]
        z = z.reshape(2, 18)[:, 1::2].reshape(2, 3, 3)              # strided slice
        w = torch.stack([z[:, 0], z[:, -1]], dim=1).permute(0, 2, 1)  # [2, 3, 2]
        first, second = torch.split(w, [1, 2], dim=1)
        u = torch.cat([second, first.expand(2, 2, 2)], dim=1).flatten(1).unsqueeze(0)
        return self.b(u.reshape(2, 4, 2).transpose(1, 2).reshape(2, 8)).sum(dim=0)


def shapes():
    torch.manual_seed(4)
    x = torch.randn(2, 3, 4)
    return Shapes(), (x,), (lambda out: (out ** 2).sum()), {"a", "b", "loss"}


ALL = {"mlp": mlp, "cnn": cnn, "transformer": transformer, "gru": gru, "shapes": shapes}
