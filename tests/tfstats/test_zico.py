import math

import numpy as np
import pytest
import torch.nn.functional as F

from cbred.tfstats import zico
from tests.tfstats._tiny import batch_of, mlp


def test_zico_against_numpy_on_two_minibatches():
    net, batch = mlp(), batch_of(6)
    grads = []
    for half in (slice(0, 3), slice(3, 6)):
        model = mlp()  # the same initialisation
        F.cross_entropy(model(batch.inputs[half]), batch.targets[half]).backward()
        grads.append([model[1].weight.grad.numpy().ravel(), model[3].weight.grad.numpy().ravel()])
    expected = 0.0
    for layer in range(2):
        g = np.stack([grads[0][layer], grads[1][layer]])
        std = g.std(axis=0)
        keep = std > 0
        expected += math.log(np.sum(np.abs(g).mean(axis=0)[keep] / std[keep]))
    assert zico.zico(net, batch) == pytest.approx(expected, rel=1e-5)


def test_zico_needs_two_inputs():
    with pytest.raises(ValueError, match="zico: a batch of 1"):
        zico.zico(mlp(), batch_of(1))
