"""Zero-Cost-NAS's remaining weight-level measures: fisher, grasp, plain, l2_norm.

(``snip``, ``grad_norm`` and ``synflow`` are in :mod:`cbred.tfstats.saliency`, ``jacov``
is ``naswot_v1`` in :mod:`cbred.tfstats.naswot`.) Each is summed over the convolution
and linear layers; the loss is the mean cross-entropy of the batch, network in training
mode.

References
----------
M. Abdelfattah, A. Mehrotra, L. Dudziak and N. Lane, "Zero-Cost Proxies for Lightweight
NAS", ICLR 2021 (all four as NAS proxies; l2_norm and plain as baselines). J. Turner,
E. J. Crowley, M. O'Boyle, A. Storkey and G. Gray, "BlockSwap: Fisher-guided Block
Substitution for Network Compression on a Budget", ICLR 2020 (fisher). C. Wang, G. Zhang
and R. Grosse, "Picking Winning Tickets Before Training by Preserving Gradient Flow",
ICLR 2020 (grasp).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from cbred.tfstats.images import ImageBatch
from cbred.tfstats._layers import (
    layer_gradients,
    module_outputs,
    require_finite,
    require_input_dependence,
    weighted_layers,
)
from cbred.tfstats.registry import statistic


def _loss(network: nn.Module, batch: ImageBatch, what: str) -> Tensor:
    network.train()
    logits = network(batch.inputs)
    require_input_dependence(logits, what)
    return F.cross_entropy(logits, batch.targets)


@statistic("fisher", higher_is_better=True)
def fisher(network: nn.Module, batch: ImageBatch) -> float:
    """``sum_layers sum_channels 1/2 mean_n (sum_hw a * dL/da)^2`` of the layer outputs ``a``.

    The empirical Fisher information of a per-channel mask on every convolution's (and
    linear layer's) output, as in BlockSwap. Invariant to the batch order.
    """
    outputs: list[Tensor] = []
    with module_outputs(weighted_layers(network), outputs):
        loss = _loss(network, batch, "fisher")
    grads = torch.autograd.grad(loss, outputs, allow_unused=True, materialize_grads=True)
    total = torch.zeros((), dtype=torch.float64, device=loss.device)
    for act, grad in zip(outputs, grads):
        per_channel = (act.detach() * grad).double()
        if per_channel.dim() > 2:
            per_channel = per_channel.sum(dim=tuple(range(2, per_channel.dim())))
        total = total + 0.5 * per_channel.pow(2).mean(dim=0).sum()
    return require_finite(total, "fisher")


@statistic("grasp", higher_is_better=True)
def grasp(network: nn.Module, batch: ImageBatch) -> float:
    """``sum -w * (H g)`` over weights: GraSP's gradient-flow preservation score.

    ``g`` is the gradient of the loss and ``H`` its Hessian w.r.t. the weights of the
    convolution and linear layers (a Hessian-vector product, one double backward pass).
    Invariant to the batch order.
    """
    loss = _loss(network, batch, "grasp")
    weights = [m.weight for m in weighted_layers(network)]
    grads = torch.autograd.grad(loss, weights, create_graph=True, allow_unused=True, materialize_grads=True)
    inner = sum((g * g.detach()).sum() for g in grads if g.requires_grad)
    if not isinstance(inner, Tensor):
        raise FloatingPointError("grasp: no weight receives a gradient")
    hessian_g = torch.autograd.grad(inner, weights, allow_unused=True, materialize_grads=True)
    total = sum((-w.detach().double() * hg.double()).sum() for w, hg in zip(weights, hessian_g))
    return require_finite(total, "grasp")


@statistic("plain", higher_is_better=True)
def plain(network: nn.Module, batch: ImageBatch) -> float:
    """``sum w * dL/dw`` over the weights (SNIP without the absolute value).

    Invariant to the batch order.
    """
    weights, grads = layer_gradients(network, _loss(network, batch, "plain"))
    return require_finite(sum((w.detach() * g).double().sum() for w, g in zip(weights, grads)), "plain")


@statistic("l2_norm", higher_is_better=True, invariant=False)
def l2_norm(network: nn.Module, batch: ImageBatch) -> float:
    """Sum over layers of the Euclidean norm of the weight tensor.

    Reads neither the input nor the output, so it is defined (and finite) for a cell with
    no path from input to output; not invariant across isomorphic cells (it counts the
    weights of operations whose result never reaches the output, as ``params`` does).
    """
    return require_finite(sum(m.weight.detach().double().norm() for m in weighted_layers(network)), "l2_norm")
