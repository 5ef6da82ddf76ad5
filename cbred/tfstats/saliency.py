"""Pruning-at-initialisation saliencies summed over a network's weights.

References
----------
N. Lee, T. Ajanthan and P. Torr, "SNIP: Single-shot Network Pruning based on Connection
Sensitivity", ICLR 2019. H. Tanaka, D. Kunin, D. Yamins and S. Ganguli, "Pruning neural
networks without any data by iteratively conserving synaptic flow", NeurIPS 2020.
M. Abdelfattah, A. Mehrotra, L. Dudziak and N. Lane, "Zero-Cost Proxies for Lightweight
NAS", ICLR 2021 (grad_norm, and the use of all three as NAS proxies).
"""

from __future__ import annotations

import copy
import math

import torch
import torch.nn.functional as F
from torch import nn

from cbred.tfstats.images import ImageBatch
from cbred.tfstats._layers import layer_gradients, require_finite
from cbred.tfstats.registry import statistic

#: Input scales tried by synflow: 1, then a tiny one when the forward pass overflows.
SYNFLOW_INPUT_SCALES = (1.0, 1e-150)


def _loss_gradients(network: nn.Module, batch: ImageBatch):
    network.train()
    loss = F.cross_entropy(network(batch.inputs), batch.targets)
    return layer_gradients(network, loss)


@statistic("snip", higher_is_better=True)
def snip(network: nn.Module, batch: ImageBatch) -> float:
    """Connection sensitivity ``sum |w * dL/dw|`` of the cross-entropy loss of the batch."""
    weights, grads = _loss_gradients(network, batch)
    total = sum((w * g).abs().sum() for w, g in zip(weights, grads))
    return require_finite(total, "snip")


@statistic("grad_norm", higher_is_better=True)
def grad_norm(network: nn.Module, batch: ImageBatch) -> float:
    """Sum over layers of the Euclidean norm of ``dL/dw`` (cross-entropy of the batch)."""
    _, grads = _loss_gradients(network, batch)
    return require_finite(sum(g.norm() for g in grads), "grad_norm")


@statistic("synflow", higher_is_better=True)
def synflow(network: nn.Module, batch: ImageBatch) -> float:
    """Natural log of the synaptic flow ``sum |w * dR/dw|`` (no overflow).

    ``R`` is the sum of the outputs of the network with every parameter replaced by its
    absolute value, for an all-ones input, in float64, with batch normalisation in
    inference mode at its initial statistics (the identity, as in the BN-free network of
    Tanaka et al.). The gradient is taken of ``log R`` and the result rescaled by ``R`` in
    log space, so large flows never overflow; should the forward pass itself overflow, the
    input is scaled down (every weight gradient is linear in the input scale). Works on a
    copy: the network it is given is left unchanged.
    """
    network = copy.deepcopy(network).double().eval()
    with torch.no_grad():
        for module in network.modules():
            if isinstance(module, nn.modules.batchnorm._BatchNorm):
                module.reset_running_stats()
        for tensor in network.state_dict().values():
            if tensor.is_floating_point():
                tensor.abs_()
    shape = (1, *batch.inputs.shape[1:])
    for scale in SYNFLOW_INPUT_SCALES:
        inputs = torch.full(shape, scale, dtype=torch.float64, device=batch.inputs.device)
        total = network(inputs).sum()
        if torch.isfinite(total) and total > 0:
            break
    else:
        raise FloatingPointError(f"synflow: forward pass of the absolute network gave {float(total.detach())}")
    weights, grads = layer_gradients(network, torch.log(total))
    flow = sum((w * g).sum() for w, g in zip(weights, grads))
    if not flow > 0:
        raise FloatingPointError(f"synflow: no synaptic flow ({float(flow.detach())})")
    return require_finite(torch.log(flow) + torch.log(total) - math.log(scale), "synflow")
