"""SWAP: the number of distinct sample-wise activation patterns.

References
----------
Y. Peng, A. Song, H. M. Fayek, V. Ciesielski and X. Chang, "SWAP-NAS: Sample-Wise
Activation Patterns for Ultra-fast NAS", ICLR 2024.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor, nn

from cbred.tfstats.images import ImageBatch
from cbred.tfstats._layers import relu_inputs, require_input_dependence
from cbred.tfstats.registry import statistic


@statistic("swap", higher_is_better=True)
def swap(network: nn.Module, batch: ImageBatch) -> float:
    """Number of distinct rows of the (units x inputs) binary activation matrix.

    Each ReLU unit of the network has a *sample-wise* pattern: which inputs of the batch
    activate it. SWAP counts the distinct patterns over all units (the unregularised
    SWAP-Score, without its parameter-count factor). Invariant to the batch order: a
    permutation of the inputs permutes every pattern alike.
    """
    codes: list[Tensor] = []
    network.train()
    with torch.no_grad(), relu_inputs(network, lambda x: codes.append(x > 0)):
        logits = network(batch.inputs)
    require_input_dependence(logits, "swap")
    if not codes:
        raise ValueError("swap: the network has no nn.ReLU module")
    patterns = np.packbits(torch.cat(codes, dim=1).T.cpu().numpy(), axis=1)
    rows = np.ascontiguousarray(patterns).view(np.dtype((np.void, patterns.shape[1])))
    return float(len(np.unique(rows)))
