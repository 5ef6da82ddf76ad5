"""TE-NAS's two indicators: trainability (NTK conditioning) and expressivity (linear regions).

References
----------
W. Chen, X. Gong and Z. Wang, "Neural Architecture Search on ImageNet in Four GPU Hours:
A Theoretically Inspired Perspective", ICLR 2021.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor, nn

from cbred.tfstats.images import ImageBatch
from cbred.tfstats._layers import relu_inputs, require_finite
from cbred.tfstats.passes import passes_of
from cbred.tfstats.registry import statistic


@statistic("ntk_cond", higher_is_better=False)
def ntk_cond(network: nn.Module, batch: ImageBatch) -> float:
    """Condition number ``lambda_max / lambda_min`` of the empirical NTK of the batch.

    ``NTK = J J^T`` with ``J[i]`` the gradient of input ``i``'s summed logits w.r.t. every
    weight tensor (convolutions, linear layers and batch-norm scales), the network in
    training mode; samples interact through batch normalisation, as in TE-NAS.
    """
    passes = passes_of(network, batch)
    weights = [p for name, p in network.named_parameters() if name.endswith("weight")]
    per_input = passes.forward(graph=True).logits.sum(dim=1)
    n = per_input.shape[0]
    # one batched backward pass for all rows (grad_outputs = the rows of the identity)
    grads = passes.batched_grads(per_input, weights, torch.eye(n, dtype=per_input.dtype, device=per_input.device))
    jacobian = torch.cat([g.reshape(n, -1) for g in grads], dim=1).double()
    # a fraction of the cost of an element-wise test: a NaN or infinite entry makes the sum
    # non-finite, and a sum that overflows means an NTK that overflows too
    if not torch.isfinite(jacobian.sum()):
        raise FloatingPointError("ntk_cond: the weight gradients are not finite")
    eigenvalues = torch.linalg.eigvalsh(jacobian @ jacobian.T)
    if not eigenvalues[0] > 0:
        raise FloatingPointError(
            f"ntk_cond: NTK is singular (smallest eigenvalue {float(eigenvalues[0]):.3g})"
        )
    return require_finite(eigenvalues[-1] / eigenvalues[0], "ntk_cond")


@statistic("linear_regions", higher_is_better=True)
def linear_regions(network: nn.Module, batch: ImageBatch) -> float:
    """Number of distinct ReLU activation patterns among the inputs of the batch.

    Each distinct pattern is a distinct linear region of the network that contains an
    input, so this counts the linear regions the batch visits (at most its size). TE-NAS
    uses many low-dimensional inputs and a thin network, so that the count does not
    saturate; see the ``linear_regions`` probe of ``configs/tfstats_runner/proxy.yaml``.
    """
    codes: list[Tensor] = []
    network.train()
    with torch.no_grad(), relu_inputs(network, lambda x: codes.append(x > 0)):
        network(batch.inputs)
    if not codes:
        raise ValueError("linear_regions: the network has no nn.ReLU module")
    packed = np.packbits(torch.cat(codes, dim=1).cpu().numpy(), axis=1)
    return float(len(np.unique(packed, axis=0)))
