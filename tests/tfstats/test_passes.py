"""The passes statistics share: one forward pass per network and batch, the same values."""

import pytest
import torch
from torch import nn

from cbred.tfstats import aznas, meco, naswot, passes, tenas
from tests.tfstats._tiny import Blocks, Pool, batch_of, mlp

SHARERS = [tenas.ntk_cond, naswot.naswot_v1, naswot.naswot_v2, aznas.az_expressivity,
           aznas.az_progressivity, aznas.az_trainability, meco.meco]


def conv_net(seed=0):
    torch.manual_seed(seed)
    cells = [nn.Sequential(nn.Conv2d(3, 3, 3, padding=1), nn.BatchNorm2d(3), nn.ReLU()),
             nn.Sequential(nn.Conv2d(3, 4, 1), nn.BatchNorm2d(4), nn.ReLU())]
    return Blocks(nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.BatchNorm2d(3)), cells, Pool(4))


def counting(net):
    calls = []
    net.register_forward_hook(lambda module, inputs, output: calls.append(1))
    return calls


def test_outside_a_sharing_block_every_statistic_runs_its_own_pass():
    net, batch = conv_net(), batch_of(5, shape=(2, 4, 4))
    calls = counting(net)
    assert isinstance(passes.passes_of(net, batch), passes.SeparatePasses)
    for fn in SHARERS:
        fn(net, batch)
    assert len(calls) == len(SHARERS)


def test_inside_a_sharing_block_the_statistics_share_one_forward_pass_and_their_values():
    net, batch = conv_net(), batch_of(5, shape=(2, 4, 4))
    torch.manual_seed(3)  # az_trainability draws its Rademacher vectors from the global generator
    separate = [fn(net, batch) for fn in SHARERS]
    calls = counting(net)
    torch.manual_seed(3)
    with passes.sharing(net, batch) as shared:
        assert passes.passes_of(net, batch) is shared
        values = [fn(net, batch) for fn in SHARERS]
    assert len(calls) == 1
    # the shared batched Jacobian (functorch's vmap) may round differently from autograd's own
    assert values[0] == pytest.approx(separate[0], rel=1e-6)
    assert values[1:] == separate[1:]


def test_only_the_network_and_batch_of_the_block_share():
    net, batch = conv_net(), batch_of(5, shape=(2, 4, 4))
    with passes.sharing(net, batch):
        assert isinstance(passes.passes_of(conv_net(), batch), passes.SeparatePasses)
        assert isinstance(passes.passes_of(net, batch_of(5, shape=(2, 4, 4))), passes.SeparatePasses)
    assert isinstance(passes.passes_of(net, batch), passes.SeparatePasses)


def test_a_recording_the_network_cannot_make_fails_only_its_readers():
    net, batch = mlp(), batch_of(6)  # no stem and cells: no blocks for AZ-NAS
    with passes.sharing(net, batch):
        with pytest.raises(TypeError, match="stem"):
            aznas.az_expressivity(net, batch)
        assert naswot.naswot_v1(net, batch) == naswot.naswot_v1(mlp(), batch)


def test_a_failed_shared_computation_is_raised_again_not_recomputed():
    calls = []

    def fail():
        calls.append(1)
        raise FloatingPointError("degenerate")

    shared = passes.SharedPasses(mlp(), batch_of(6))
    for _ in range(2):
        with pytest.raises(FloatingPointError, match="degenerate"):
            shared.memo("key", fail)
    assert len(calls) == 1


def test_recordings_keep_what_their_statistics_read():
    net, batch = conv_net(), batch_of(5, shape=(2, 4, 4))
    forward = passes.forward_pass(net, batch, list(passes.RECORDINGS), graph=True, input_grad=True)
    assert forward.inputs.requires_grad and forward.logits.requires_grad
    assert [c.dtype for c in forward["relu_codes"]] == [torch.bool] * 2
    assert [tuple(b.shape[1:]) for b in forward["block_outputs"]] == [(3, 4, 4), (3, 4, 4), (4, 4, 4)]
    assert all(m.dim() == 3 and m.shape[0] >= 2 for m in forward["first_maps"])
