import numpy as np
import pytest
import torch
from torch import nn

from cbred.tfstats import aznas
from tests.tfstats._tiny import Blocks, Pool, batch_of, permuted


def conv_net(seed=0):
    torch.manual_seed(seed)
    cells = [nn.Sequential(nn.Conv2d(3, 3, 3, padding=1), nn.ReLU()), nn.Conv2d(3, 4, 1)]
    return Blocks(nn.Conv2d(2, 3, 3, padding=1), cells, Pool(4))


def entropies(net, batch):
    out, features = batch.inputs, []
    for block in [net.stem, *net.cells]:
        out = block(out)
        f = out.detach().double().numpy().transpose(0, 2, 3, 1).reshape(-1, out.shape[1])
        s = np.clip(np.linalg.eigvalsh(np.cov(f.T, bias=True)), 0, None)
        p = s / s.sum()
        features.append(-(p * np.log(p + 1e-8)).sum())
    return np.array(features)


def test_expressivity_and_progressivity_against_numpy():
    net, batch = conv_net(), batch_of(5, shape=(2, 4, 4))
    h = entropies(net, batch)
    assert aznas.az_expressivity(net, batch) == pytest.approx(h.sum(), rel=1e-6)
    assert aznas.az_progressivity(net, batch) == pytest.approx(np.diff(h).min(), rel=1e-6, abs=1e-9)


def test_expressivity_ignores_the_batch_order():
    net, batch = conv_net(), batch_of(5, shape=(2, 4, 4))
    assert aznas.az_expressivity(net, permuted(batch)) == pytest.approx(aznas.az_expressivity(net, batch))
    assert aznas.az_progressivity(net, permuted(batch)) == pytest.approx(aznas.az_progressivity(net, batch))


@pytest.mark.parametrize("gain", [0.5, 3.0])
def test_trainability_of_a_scalar_block_is_two_minus_gain_minus_its_inverse(gain):
    # one channel, f_out = gain * f_in: g_in = gain * g_out, g_in^T g_out / n = gain exactly
    # (Rademacher entries square to 1), whatever the random signs
    cell = nn.Conv2d(1, 1, 1, bias=False)
    with torch.no_grad():
        cell.weight.fill_(gain)
    net = Blocks(nn.Conv2d(1, 1, 3, padding=1), [cell], Pool(1))
    expected = 2 - gain - 1 / (gain + aznas.SIGMA_EPS)
    assert aznas.az_trainability(net, batch_of(4, shape=(1, 3, 3))) == pytest.approx(expected, rel=1e-9)


def test_trainability_rejects_an_identity_block_and_reads_a_downsampling_one():
    net = Blocks(nn.Conv2d(1, 2, 3, padding=1), [nn.Identity()], Pool(2))
    with pytest.raises(FloatingPointError, match="block 1 is the identity"):
        aznas.az_trainability(net, batch_of(4, shape=(1, 4, 4)))
    # 2x2 average pooling: each input pixel gets g/4 from one output; unshuffled, the
    # (4 x 1) matrix has entries E[g^2] / 4 = 1/4: spectral norm sqrt(4) / 4 = 1/2
    net = Blocks(nn.Conv2d(1, 1, 3, padding=1), [nn.AvgPool2d(2)], Pool(1))
    expected = 2 - 0.5 - 1 / (0.5 + aznas.SIGMA_EPS)
    assert aznas.az_trainability(net, batch_of(4, shape=(1, 4, 4))) == pytest.approx(expected, rel=1e-9)


def test_blocks_are_required():
    with pytest.raises(TypeError, match="Sequential has no `stem`"):
        aznas.az_expressivity(nn.Sequential(nn.Flatten(), nn.Linear(4, 2)), batch_of(3))
