"""ZiCo: inverse coefficient of variation of the gradients over input batches.

References
----------
G. Li, Y. Yang, K. Bhardwaj and R. Marculescu, "ZiCo: Zero-shot NAS via Inverse
Coefficient of Variation on Gradients", ICLR 2023.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from cbred.tfstats.images import ImageBatch
from cbred.tfstats._layers import layer_gradients, require_finite, require_input_dependence
from cbred.tfstats.registry import statistic

#: Number of consecutive chunks the batch is split into (ZiCo's mini-batches).
ZICO_SPLITS = 2


@statistic("zico", higher_is_better=True)
def zico(network: nn.Module, batch: ImageBatch) -> float:
    """``sum_layers log sum_w mean|g_w| / std(g_w)`` over :data:`ZICO_SPLITS` mini-batches.

    The batch is split into consecutive chunks; ``g_w`` is the gradient of chunk's mean
    cross-entropy with respect to weight ``w`` of a convolution or linear layer; mean and
    (population) standard deviation are over chunks. Weights whose gradient does not vary
    are left out, and layers with no such weight contribute nothing, as in ZiCo's code.
    """
    if len(batch) < ZICO_SPLITS:
        raise ValueError(f"zico: a batch of {len(batch)} cannot be split into {ZICO_SPLITS} mini-batches")
    network.train()
    per_chunk = []
    for index in torch.arange(len(batch), device=batch.inputs.device).chunk(ZICO_SPLITS):
        logits = network(batch.inputs[index])
        require_input_dependence(logits, "zico")
        _, grads = layer_gradients(network, F.cross_entropy(logits, batch.targets[index]))
        per_chunk.append([g.detach().double().flatten() for g in grads])
    score, layers = 0.0, 0
    for grads in zip(*per_chunk):
        stacked = torch.stack(grads)
        std = stacked.std(dim=0, unbiased=False)
        varying = std > 0
        total = float((stacked.abs().mean(dim=0)[varying] / std[varying]).sum())
        if total > 0:
            score, layers = score + math.log(total), layers + 1
    if not layers:
        raise FloatingPointError("zico: no weight's gradient varies between the mini-batches")
    return require_finite(score, "zico")
