import pytest
import torch
import torch.nn.functional as F
from torch.autograd.functional import hessian

from cbred.tfstats import zerocost
from tests.tfstats._tiny import batch_of, mlp, permuted


def test_plain_and_l2_norm_match_backward():
    net, batch = mlp(), batch_of(5)
    F.cross_entropy(net(batch.inputs), batch.targets).backward()
    layers = [net[1], net[3]]
    assert zerocost.plain(mlp(), batch) == pytest.approx(
        sum((m.weight * m.weight.grad).sum().item() for m in layers), rel=1e-6
    )
    assert zerocost.l2_norm(mlp(), batch) == pytest.approx(sum(m.weight.norm().item() for m in layers), rel=1e-6)


def test_fisher_from_the_layer_outputs():
    net, batch = mlp(), batch_of(5)
    x = batch.inputs.flatten(1)
    a1 = net[1](x)
    a2 = net[3](torch.relu(a1))
    g1, g2 = torch.autograd.grad(F.cross_entropy(a2, batch.targets), [a1, a2])
    expected = sum(0.5 * (a * g).pow(2).mean(0).sum().item() for a, g in ((a1, g1), (a2, g2)))
    assert zerocost.fisher(mlp(), batch) == pytest.approx(expected, rel=1e-5)


def test_grasp_is_minus_weights_times_an_explicit_hessian_gradient_product():
    net, batch = mlp(hidden=3), batch_of(5)
    w1, b1, w2, b2 = (p.detach() for p in net.parameters())
    x = batch.inputs.flatten(1)
    sizes = (w1.numel(), w2.numel())

    def loss(flat):
        a, b = flat[: sizes[0]].view_as(w1), flat[sizes[0] :].view_as(w2)
        return F.cross_entropy(torch.relu(x @ a.T + b1) @ b.T + b2, batch.targets)

    theta = torch.cat([w1.flatten(), w2.flatten()]).double().requires_grad_(True)
    x = x.double()
    b1, b2 = b1.double(), b2.double()
    (g,) = torch.autograd.grad(loss(theta), theta)
    expected = -(theta.detach() * (hessian(loss, theta.detach()) @ g)).sum().item()
    assert zerocost.grasp(mlp(hidden=3), batch) == pytest.approx(expected, rel=1e-4, abs=1e-9)


@pytest.mark.parametrize("name", ["fisher", "grasp", "plain"])
def test_loss_based_measures_ignore_the_batch_order(name):
    fn, batch = getattr(zerocost, name), batch_of(6)
    assert fn(mlp(), permuted(batch)) == pytest.approx(fn(mlp(), batch), rel=1e-5, abs=1e-9)
