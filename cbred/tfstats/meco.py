"""MeCo: minimum eigenvalue of the channel correlation of feature maps.

References
----------
T. Jiang, H. Wang and R. Bie, "MeCo: Zero-Shot NAS with One Data and Single Forward Pass
via Minimum Eigenvalue of Correlation", NeurIPS 2023.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from cbred.tfstats.images import ImageBatch
from cbred.tfstats._layers import require_finite, require_input_dependence
from cbred.tfstats.passes import passes_of
from cbred.tfstats.registry import statistic


def _smallest_correlation_eigenvalue(feature: Tensor) -> Tensor:
    """``lambda_min`` of the Pearson correlation of the channels of one ``(C, H, W)`` map.

    Undefined correlations (a constant channel) count as 0, as in MeCo's code.
    """
    corr = torch.corrcoef(feature.detach().flatten(1).double())
    corr = torch.nan_to_num(corr, nan=0.0, posinf=0.0, neginf=0.0)
    return torch.linalg.eigvalsh(corr)[0]


@statistic("meco", higher_is_better=True)
def meco(network: nn.Module, batch: ImageBatch) -> float:
    """Sum over modules of ``lambda_min`` of the channel correlation of the first input's map.

    Every module whose output is a 4-D feature map ``(B, C, H, W)`` with ``C >= 2``
    contributes the smallest eigenvalue of the ``C x C`` correlation matrix of the map of
    the batch's first input (MeCo reads one input; the batch sets batch normalisation's
    statistics, network in training mode). Not invariant to the batch order: the first
    input is the one read.
    """
    forward = passes_of(network, batch).forward("first_maps")
    require_input_dependence(forward.logits, "meco")
    maps = forward["first_maps"]
    if not maps:
        raise ValueError("meco: no module outputs a feature map with two channels or more")
    values = [_smallest_correlation_eigenvalue(m) for m in maps]
    return require_finite(torch.stack(values).sum(), "meco")
