"""Helpers shared by the statistic families: the layers they read, activation patterns."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import torch
from torch import Tensor, nn


def weighted_layers(network: nn.Module) -> list[nn.Module]:
    """Convolution and linear layers: the layers pruning-at-initialisation scores read."""
    return [m for m in network.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]


def layer_gradients(network: nn.Module, scalar: Tensor) -> tuple[list[Tensor], list[Tensor]]:
    """Weights of :func:`weighted_layers` and the gradient of ``scalar`` w.r.t. each.

    Weights that do not reach ``scalar`` (operations whose result never reaches the output)
    get zero gradients.
    """
    weights = [m.weight for m in weighted_layers(network)]
    grads = torch.autograd.grad(scalar, weights, allow_unused=True, materialize_grads=True)
    return weights, list(grads)


@contextmanager
def relu_inputs(network: nn.Module, visit: Callable[[Tensor], None]) -> Iterator[None]:
    """Call ``visit(x)`` with the input of every ``nn.ReLU`` module during forward passes.

    Shapes
    ------
    - ``x``: the ReLU input flattened per sample, ``(B, units)``
    """

    def hook(module: nn.Module, inputs: tuple[Tensor, ...], output: Tensor) -> None:
        visit(inputs[0].detach().flatten(1))

    handles = [m.register_forward_hook(hook) for m in network.modules() if isinstance(m, nn.ReLU)]
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()


def require_finite(value: float, what: str) -> float:
    """``value`` as a float; ``FloatingPointError`` naming ``what`` when it is NaN or infinite."""
    value = float(value.detach() if isinstance(value, torch.Tensor) else value)
    if value != value or value in (float("inf"), float("-inf")):
        raise FloatingPointError(f"{what} is not finite ({value})")
    return value
