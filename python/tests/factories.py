"""Factories for the command-line tests: (model, args, loss)."""

import torch
import torch.nn.functional as F

import models
import test_check


def mlp():
    model, args, loss, _ = models.mlp()
    return model, args, loss


def wrong_square():
    torch.manual_seed(0)
    target = torch.randn(4)
    return test_check.Net("square"), (torch.randn(4, 4),), lambda out: F.mse_loss(out, target)


def not_a_tuple():
    return 3
