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


def require_input_dependence(logits: Tensor, what: str) -> None:
    """``FloatingPointError`` naming ``what`` when every input of the batch gives the same output.

    A network with no path from its input to its output (an NB201 cell whose every path
    passes a ``none`` edge) outputs its classifier's bias for every input: the statistics
    that read how the output varies with the input are undefined for it.
    """
    flat = logits.detach().flatten(1)
    if len(flat) > 1 and bool((flat == flat[:1]).all()):
        raise FloatingPointError(
            f"{what}: the output does not depend on the input (no path from input to output)"
        )


def feature_blocks(network: nn.Module) -> list[nn.Module]:
    """The stem and every block of ``network.cells`` (a sequence or a list of cells): the stages whose outputs AZ-NAS reads.

    Raises
    ------
    TypeError
        When ``network`` has no ``stem`` module and ``cells`` sequence or list (the layout of
        the networks of :mod:`cbred.models`), naming its class.
    """
    stem, cells = getattr(network, "stem", None), getattr(network, "cells", None)
    if not isinstance(stem, nn.Module) or not isinstance(cells, (nn.Sequential, nn.ModuleList)):
        raise TypeError(
            f"{type(network).__name__} has no `stem` module and `cells` nn.Sequential or nn.ModuleList "
            "(the block layout of cbred.models' networks)"
        )
    return [stem, *cells]


@contextmanager
def module_outputs(modules: list[nn.Module], outputs: list[Tensor]) -> Iterator[None]:
    """Append the output of each of ``modules`` to ``outputs`` during forward passes (graph kept)."""

    def hook(module: nn.Module, inputs: tuple[Tensor, ...], output: Tensor) -> None:
        outputs.append(output)

    handles = [m.register_forward_hook(hook) for m in modules]
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()


def classifier_input(network: nn.Module, inputs: Tensor) -> Tensor:
    """The feature map ``network.classifier`` receives (before global average pooling).

    Raises
    ------
    TypeError
        When ``network`` has no ``classifier`` module, naming its class.

    Shapes
    ------
    - inputs: ``(B, C, H, W)``
    - output: ``(B, C', H', W')``
    """
    classifier = getattr(network, "classifier", None)
    if not isinstance(classifier, nn.Module):
        raise TypeError(f"{type(network).__name__} has no `classifier` module to read features before")
    seen: list[Tensor] = []
    handle = classifier.register_forward_pre_hook(lambda module, args: seen.append(args[0]))
    try:
        network(inputs)
    finally:
        handle.remove()
    return seen[-1]


def input_jacobian(network: nn.Module, inputs: Tensor) -> tuple[Tensor, Tensor]:
    """Per-input Jacobian rows ``d sum(logits) / d input`` (float64) and the logits.

    Shapes
    ------
    - inputs: ``(B, C, H, W)``
    - rows: ``(B, C * H * W)``
    """
    inputs = inputs.clone().requires_grad_(True)
    logits = network(inputs)
    (jacobian,) = torch.autograd.grad(logits, inputs, grad_outputs=torch.ones_like(logits))
    return jacobian.flatten(1).double(), logits
