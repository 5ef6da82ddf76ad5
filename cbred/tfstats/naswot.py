"""Neural architecture search without training (NASWOT): two scores of one input batch.

References
----------
J. Mellor, J. Turner, A. Storkey and E. J. Crowley, "Neural Architecture Search without
Training", arXiv:2006.04647 v1 (2020) for the Jacobian covariance score, and ICML 2021 for
the activation-pattern (Hamming kernel) score.
"""

from __future__ import annotations

import torch
from torch import nn

from cbred.tfstats.images import ImageBatch
from cbred.tfstats._layers import require_finite
from cbred.tfstats.passes import passes_of
from cbred.tfstats.registry import statistic

#: Regulariser of the Jacobian-covariance eigenvalues (the paper's ``k``).
JACOBIAN_EPS = 1e-5


@statistic("naswot_v1", higher_is_better=True)
def naswot_v1(network: nn.Module, batch: ImageBatch) -> float:
    """Jacobian covariance score: ``-sum_i log(s_i + k) + 1 / (s_i + k)``.

    ``s_i`` are the eigenvalues of the correlation matrix of the per-input Jacobians
    ``d sum(logits) / d input`` (one row per input of the batch); decorrelated Jacobians
    (eigenvalues near 1) give the highest score, ``-batch_size``.
    """
    forward = passes_of(network, batch).forward(input_grad=True)
    (jacobian,) = torch.autograd.grad(
        forward.logits, forward.inputs, grad_outputs=torch.ones_like(forward.logits), retain_graph=True
    )
    rows = jacobian.flatten(1).double()
    if not torch.isfinite(rows).all():
        raise FloatingPointError("naswot_v1: the input Jacobian is not finite")
    if (rows.std(dim=1) == 0).any():
        raise FloatingPointError("naswot_v1: an input's Jacobian is constant (output ignores it)")
    eigenvalues = torch.linalg.eigvalsh(torch.corrcoef(rows))
    score = -(torch.log(eigenvalues + JACOBIAN_EPS) + 1.0 / (eigenvalues + JACOBIAN_EPS)).sum()
    return require_finite(score, "naswot_v1")


@statistic("naswot_v2", higher_is_better=True)
def naswot_v2(network: nn.Module, batch: ImageBatch) -> float:
    """Log-determinant of the activation Hamming kernel ``K``.

    ``K[i, j]`` = number of ReLU units on which inputs ``i`` and ``j`` agree (both active or
    both inactive), over every ReLU of the network: ``N_units - Hamming distance`` of their
    binary activation codes.
    """
    n = len(batch)
    kernel = torch.zeros(n, n, dtype=torch.float64, device=batch.inputs.device)
    for codes in passes_of(network, batch).forward("relu_codes")["relu_codes"]:
        code = codes.double()
        kernel.add_(code @ code.T).add_((1 - code) @ (1 - code).T)
    sign, logdet = torch.linalg.slogdet(kernel)
    if sign <= 0:
        raise FloatingPointError("naswot_v2: activation kernel is singular (identical codes)")
    return require_finite(logdet, "naswot_v2")
