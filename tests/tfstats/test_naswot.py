import numpy as np
import pytest
import torch

from cbred.tfstats import naswot
from tests.tfstats._tiny import mlp, random_batch


def test_naswot_v2_is_the_log_det_of_the_hamming_kernel():
    net, batch = mlp(hidden=64), random_batch(6)
    hidden = net[1](batch.inputs.flatten(1))  # the only ReLU's input
    codes = (hidden > 0).double().numpy()
    kernel = codes @ codes.T + (1 - codes) @ (1 - codes).T
    assert naswot.naswot_v2(net, batch) == pytest.approx(np.linalg.slogdet(kernel)[1])


def test_naswot_v1_scores_decorrelated_jacobians():
    net, batch = mlp(), random_batch(5)
    jac = np.stack(
        [torch.autograd.functional.jacobian(lambda x: net(x[None]).sum(), x).flatten().numpy() for x in batch.inputs]
    )
    eig = np.linalg.eigvalsh(np.corrcoef(jac))
    expected = -np.sum(np.log(eig + 1e-5) + 1 / (eig + 1e-5))
    assert naswot.naswot_v1(net, batch) == pytest.approx(expected, rel=1e-6)
    assert naswot.naswot_v1(net, batch) <= -len(batch) + 1e-9  # the maximum is -batch size
