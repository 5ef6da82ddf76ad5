"""EPE-NAS: how correlated the input Jacobians of the inputs of each class are.

References
----------
V. Lopes, S. Alirezazadeh and L. A. Alexandre, "EPE-NAS: Efficient Performance
Estimation Without Training for Neural Architecture Search", ICANN 2021.
"""

from __future__ import annotations

import torch
from torch import nn

from cbred.tfstats.images import ImageBatch
from cbred.tfstats._layers import input_jacobian, require_finite, require_input_dependence
from cbred.tfstats.registry import statistic

#: Added to ``|corr|`` inside the logarithm (EPE-NAS's ``k``).
EPE_EPS = 1e-5


@statistic("epe_nas", higher_is_better=True)
def epe_nas(network: nn.Module, batch: ImageBatch) -> float:
    """``sum_c | sum_ij log(|corr_c[i, j]| + k) |`` over the classes of the batch.

    ``corr_c`` is the correlation matrix of the Jacobians ``d sum(logits) / d input`` of
    the inputs of class ``c`` (network in training mode); classes with a single input
    contribute nothing (their one-by-one matrix adds ``log(1 + k)``, about ``1e-5``).
    Invariant to the batch order.
    """
    network.train()
    rows, logits = input_jacobian(network, batch.inputs)
    require_input_dependence(logits, "epe_nas")
    if not torch.isfinite(rows).all():
        raise FloatingPointError("epe_nas: the input Jacobian is not finite")
    score = torch.zeros((), dtype=torch.float64, device=rows.device)
    for label in torch.unique(batch.targets):
        members = rows[batch.targets == label]
        if len(members) < 2:
            continue
        if (members.std(dim=1) == 0).any():
            raise FloatingPointError(f"epe_nas: an input's Jacobian is constant (class {int(label)})")
        score = score + torch.log(torch.corrcoef(members).abs() + EPE_EPS).sum().abs()
    return require_finite(score, "epe_nas")
