"""Architecture costs: parameters and floating-point operations (millions).

Deterministic (no repeats) and not invariant across isomorphic NB201 cells: the benchmark
networks keep the parameters of operations whose result never reaches the output.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from cbred.tfstats.images import ImageBatch
from cbred.tfstats.registry import statistic


@statistic("params", higher_is_better=True, stochastic=False, invariant=False)
def params(network: nn.Module, batch: ImageBatch) -> float:
    """Trainable parameters, in millions (the benchmarks' ``params`` column)."""
    return sum(p.numel() for p in network.parameters() if p.requires_grad) / 1e6


@statistic("flops", higher_is_better=True, stochastic=False, invariant=False)
def flops(network: nn.Module, batch: ImageBatch) -> float:
    """Multiply-accumulates of one forward pass of one input image, in millions.

    Counted by :class:`torch.utils.flop_counter.FlopCounterMode` (convolutions and matrix
    products), which reports two operations per multiply-accumulate; halved to the
    benchmarks' convention (NAS-Bench-201's ``flops`` column counts multiply-adds).
    """
    network.eval()
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        network(batch.inputs[:1])
    return counter.get_total_flops() / 2 / 1e6
