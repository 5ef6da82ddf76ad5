"""AZ-NAS's expressivity, progressivity and trainability of the blocks of a network.

AZ-NAS's fourth component, complexity, is the network's FLOPs: the ``flops`` statistic
(:mod:`cbred.tfstats.cost`). The blocks are the stem and every cell or reduction block
(:func:`cbred.tfstats._layers.feature_blocks`).

References
----------
J. Lee and B. Ham, "AZ-NAS: Assembling Zero-Cost Proxies for Network Architecture
Search", CVPR 2024.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from cbred.tfstats.images import ImageBatch
from cbred.tfstats._layers import require_finite, require_input_dependence
from cbred.tfstats.passes import passes_of
from cbred.tfstats.registry import statistic

#: Added to the probabilities inside the logarithm of the entropy (AZ-NAS's constant).
ENTROPY_EPS = 1e-8
#: Added to the largest singular value in ``1 / sigma`` (AZ-NAS's constant).
SIGMA_EPS = 1e-6


def _block_features(network: nn.Module, batch: ImageBatch, what: str) -> list[Tensor]:
    forward = passes_of(network, batch).forward("block_outputs", graph=True)
    features = forward["block_outputs"]
    require_input_dependence(forward.logits, what)
    if len(features) < 2:
        raise ValueError(f"{what}: the network has {len(features)} block(s), two are needed")
    return features


def _block_entropies(network: nn.Module, batch: ImageBatch, what: str) -> Tensor:
    """:func:`_entropies` of the block outputs (computed once for both statistics that read them)."""
    features = _block_features(network, batch, what)
    return passes_of(network, batch).memo("aznas.entropies", lambda: _entropies(features))


def _entropies(features: list[Tensor]) -> Tensor:
    """Entropy of the normalised eigenvalues of each block's channel covariance.

    Shapes
    ------
    - features: ``(B, C, H, W)`` each; returns ``(len(features),)``
    """
    values = []
    for feature in features:
        x = feature.detach().double().permute(0, 2, 3, 1).reshape(-1, feature.shape[1])
        x = x - x.mean(dim=0, keepdim=True)
        eigenvalues = torch.linalg.eigvalsh(x.T @ x / len(x)).clamp(min=0)
        p = eigenvalues / eigenvalues.sum()
        values.append(-(p * torch.log(p + ENTROPY_EPS)).sum())
    return torch.stack(values)


@statistic("az_expressivity", higher_is_better=True)
def az_expressivity(network: nn.Module, batch: ImageBatch) -> float:
    """Sum over blocks of the entropy of the eigenvalue spectrum of the feature covariance.

    Each block's output ``(B, C, H, W)`` is read as ``B * H * W`` samples of ``C``
    channels; the eigenvalues of their covariance, normalised to sum to one, have an
    entropy that is high when the features spread over many directions. Invariant to
    the batch order.
    """
    entropies = _block_entropies(network, batch, "az_expressivity")
    return require_finite(entropies.sum(), "az_expressivity")


@statistic("az_progressivity", higher_is_better=True)
def az_progressivity(network: nn.Module, batch: ImageBatch) -> float:
    """Smallest increase of the expressivity entropy from one block to the next.

    Invariant to the batch order.
    """
    entropies = _block_entropies(network, batch, "az_progressivity")
    return require_finite((entropies[1:] - entropies[:-1]).min(), "az_progressivity")


@statistic("az_trainability", higher_is_better=True)
def az_trainability(network: nn.Module, batch: ImageBatch) -> float:
    """Mean over consecutive blocks of ``2 - sigma - 1 / sigma``, ``sigma`` a Jacobian's norm.

    For blocks ``f_in -> f_out``, a Rademacher vector ``g_out`` (one sign per output
    element) is back-propagated to ``g_in``; ``sigma`` is the largest singular value of
    ``g_in^T g_out / n`` (rows: positions of the batch; a downsampling block's ``g_in``
    is pixel-unshuffled to the output's resolution), an estimate of the spectral norm of
    the block's Jacobian. The score is 0 at ``sigma = 1`` (norm-preserving blocks) and
    negative otherwise. A block whose Jacobian is exactly the identity (AZ-NAS scores it
    minus infinity) makes the statistic undefined.
    """
    features = _block_features(network, batch, "az_trainability")
    scores = []
    for k in reversed(range(1, len(features))):
        f_in, f_out = features[k - 1], features[k]
        g_out = torch.randint(0, 2, f_out.shape, device=f_out.device).to(f_out.dtype) * 2 - 1
        (g_in,) = torch.autograd.grad(f_out, f_in, grad_outputs=g_out, retain_graph=True)
        if g_in.shape == g_out.shape and torch.equal(g_in, g_out):
            raise FloatingPointError(f"az_trainability: block {k} is the identity")
        if g_in.shape[-1] != g_out.shape[-1]:
            g_in = nn.functional.pixel_unshuffle(g_in, g_in.shape[-1] // g_out.shape[-1])
        rows_in = g_in.double().permute(0, 2, 3, 1).reshape(-1, g_in.shape[1])
        rows_out = g_out.double().permute(0, 2, 3, 1).reshape(-1, g_out.shape[1])
        sigma = torch.linalg.matrix_norm(rows_in.T @ rows_out / len(rows_out), ord=2)
        scores.append(2 - sigma - 1 / (sigma + SIGMA_EPS))
    return require_finite(torch.stack(scores).mean(), "az_trainability")
