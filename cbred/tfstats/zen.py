"""Zen-score: the response of the pre-pooling features to a small input perturbation.

References
----------
M. Lin, P. Wang, Z. Sun, H. Chen, X. Sun, Q. Qian, H. Li and R. Jin, "Zen-NAS: A
Zero-Shot NAS for High-Performance Image Recognition", ICCV 2021.
"""

from __future__ import annotations

import copy
import math

import torch
from torch import Tensor, nn

from cbred.tfstats.images import ImageBatch
from cbred.tfstats._layers import classifier_input, require_finite
from cbred.tfstats.registry import statistic

#: Scale of the Gaussian perturbation of the input (Zen-NAS's ``alpha``).
ZEN_ALPHA = 1e-2


def _gaussian_init(network: nn.Module) -> None:
    """Zen-NAS's initialisation: N(0, 1) weights, zero biases, identity batch norms."""
    with torch.no_grad():
        for module in network.modules():
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                nn.init.normal_(module.weight)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)
            elif isinstance(module, (nn.modules.batchnorm._BatchNorm, nn.GroupNorm)) and module.affine:
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)


@statistic("zen", higher_is_better=True)
def zen(network: nn.Module, batch: ImageBatch) -> float:
    """``log E||f(x) - f(x + alpha e)||_1 + sum_BN log sigma_BN`` (natural logs).

    On a copy of the network re-initialised as Zen-NAS does (the network it is given is
    left unchanged): ``x`` and ``e`` standard-normal inputs of the batch's shape, ``f``
    the feature map before global average pooling (the classifier's input), the norm
    summed over the map and averaged over the batch; ``sigma_BN`` is each batch-norm
    layer's ``sqrt(mean over channels of the batch variance)`` of its input for ``x``,
    which restores the scale batch normalisation removed (a batch norm whose input is
    identically zero, behind an edge that carries nothing, removes no scale and is
    skipped). The batch's images are not read (only its shape): Zen-score is data-free.
    """
    network = copy.deepcopy(network).train()
    _gaussian_init(network)
    x = torch.randn_like(batch.inputs)
    perturbed = x + ZEN_ALPHA * torch.randn_like(batch.inputs)
    log_sigma: list[float] = []

    def record(module: nn.Module, args: tuple[Tensor, ...]) -> None:
        variance = float(args[0].detach().double().var(dim=(0, *range(2, args[0].dim())), unbiased=False).mean())
        if variance > 0:  # a batch norm fed zeros (a dead edge) rescales nothing
            log_sigma.append(0.5 * math.log(variance))

    norms = [m for m in network.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    with torch.no_grad():
        handles = [m.register_forward_pre_hook(record) for m in norms]
        try:
            clean = classifier_input(network, x)
        finally:
            for handle in handles:
                handle.remove()
        moved = classifier_input(network, perturbed)
    delta = (clean - moved).double().abs().flatten(1).sum(dim=1).mean()
    if not delta > 0:
        raise FloatingPointError("zen: the features do not depend on the input (no path from input to output)")
    return require_finite(torch.log(delta) + sum(log_sigma), "zen")
