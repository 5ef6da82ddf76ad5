import numpy as np
import pytest
import torch

from cbred.tfstats.images import ImageBatch
from cbred.tfstats import epe
from tests.tfstats._tiny import batch_of, mlp, permuted


def jacobians(net, batch):
    return np.stack(
        [
            torch.autograd.functional.jacobian(lambda x: net(x[None]).sum(), x).flatten().numpy()
            for x in batch.inputs
        ]
    )


def test_epe_nas_against_numpy_per_class():
    net, batch = mlp(hidden=16), batch_of(7, classes=3)  # classes with 3, 2 and 2 inputs
    jac, labels = jacobians(net, batch), batch.targets.numpy()
    expected = sum(
        abs(np.sum(np.log(np.abs(np.corrcoef(jac[labels == c])) + 1e-5))) for c in range(3)
    )
    assert epe.epe_nas(net, batch) == pytest.approx(expected, rel=1e-6)


def test_epe_nas_ignores_the_batch_order_and_single_input_classes():
    net, batch = mlp(hidden=16), batch_of(7, classes=3)
    assert epe.epe_nas(net, permuted(batch)) == pytest.approx(epe.epe_nas(net, batch), rel=1e-9)
    labels = torch.tensor([0, 0, 0, 1, 1, 1, 2])  # class 2 has one input
    alone = ImageBatch(batch.inputs, labels)
    kept = ImageBatch(batch.inputs[:6], labels[:6])
    assert epe.epe_nas(net, alone) == pytest.approx(epe.epe_nas(net, kept), rel=1e-9)
