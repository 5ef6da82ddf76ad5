"""The NAS-Bench-101 network: a stem and three stacks of cells with downsampling.

Layout (Ying et al. 2019)::

    stem (3x3 conv-BN-ReLU, C channels) -> N cells -> max-pool 2x2, channels x2
        -> N cells -> max-pool 2x2, channels x2 -> N cells -> global average pool -> linear

Inside a cell, the output channels are split between the vertices that feed the output
(concatenated), other vertices take the largest width among their successors, edges from
the cell input are 1x1 projections, edges between interior vertices truncate channels,
and an input -> output edge adds a projection of the input. The benchmark trained
``C=128, N=3``.

References
----------
C. Ying et al., "NAS-Bench-101: Towards Reproducible Neural Architecture Search",
ICML 2019.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor, nn

from cbred.models.library import build_operation
from cbred.models.ops import Classifier, ConvBNReLU, _Reset, check_sizes
from cbred.spaces.node_dag import Spec


def vertex_channels(in_channels: int, out_channels: int, matrix: np.ndarray) -> list[int]:
    """Channels of every vertex of a cell, by the benchmark's rule.

    The output's channels are divided evenly among the vertices that feed it (the first
    ones get the remainder); any other interior vertex gets the largest channel count of
    its interior successors.
    """
    n = len(matrix)
    channels = [0] * n
    channels[0], channels[-1] = in_channels, out_channels
    if n == 2:
        return channels
    feeds_output = matrix[1:-1, -1].astype(bool)
    fan_in = int(matrix[1:, -1].sum())
    base, remainder = divmod(out_channels, fan_in)
    for v in range(1, n - 1):
        if feeds_output[v - 1]:
            channels[v] = base + (1 if remainder > 0 else 0)
            remainder -= 1 if remainder > 0 else 0
    for v in range(n - 3, 0, -1):
        if not feeds_output[v - 1]:
            successors = [channels[d] for d in range(v + 1, n - 1) if matrix[v, d]]
            channels[v] = max(successors, default=0)
        if channels[v] <= 0:
            raise ValueError(f"NB101 cell: vertex {v} has no channels (matrix {matrix.tolist()})")
    return channels


class NB101Cell(_Reset):
    """One NB101 cell (module) given a pruned spec.

    Parameters
    ----------
    spec : Spec
        Pruned cell spec, vertices in the order given (the channel split depends on it).
    in_channels, out_channels : int

    Shapes
    ------
    - input: ``(B, in_channels, H, W)``
    - output: ``(B, out_channels, H, W)``
    """

    def __init__(self, spec: Spec, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.matrix = np.asarray(spec.matrix, dtype=bool)
        n = len(spec.ops)
        self.channels = vertex_channels(in_channels, out_channels, self.matrix.astype(int))
        self.ops = nn.ModuleList(
            [nn.Identity()]
            + [build_operation(op, self.channels[v]) for v, op in enumerate(spec.ops[1:-1], start=1)]
            + [nn.Identity()]
        )
        # 1x1 projections of the cell input into every vertex it feeds (output included).
        self.projections = nn.ModuleDict(
            {
                str(v): ConvBNReLU(in_channels, self.channels[v], 1)
                for v in range(1, n)
                if self.matrix[0, v]
            }
        )

    def forward(self, x: Tensor) -> Tensor:
        n = len(self.matrix)
        values: list[Tensor] = [x]
        for v in range(1, n - 1):
            inputs = [values[s][:, : self.channels[v]] for s in range(1, v) if self.matrix[s, v]]
            if self.matrix[0, v]:
                inputs.append(self.projections[str(v)](x))
            values.append(self.ops[v](sum(inputs)))
        concat = [values[v] for v in range(1, n - 1) if self.matrix[v, -1]]
        out = torch.cat(concat, dim=1) if concat else None
        if self.matrix[0, -1]:
            projected = self.projections[str(n - 1)](x)
            out = projected if out is None else out + projected
        return out


class NB101Network(_Reset):
    """The NAS-Bench-101 macro network around one cell.

    Parameters
    ----------
    spec : Spec
        Pruned cell spec (:meth:`cbred.spaces.nb101.NB101Space.spec`).
    C : int, default=128
        Channels of the stem and of the first stack (doubled by each downsampling).
    N : int, default=3
        Cells per stack.
    num_classes : int, default=10
    stacks : int, default=3
    in_channels : int, default=3

    Shapes
    ------
    - input: ``(B, in_channels, H, W)``
    - output: ``(B, num_classes)``
    """

    def __init__(
        self,
        spec: Spec,
        C: int = 128,
        N: int = 3,
        num_classes: int = 10,
        stacks: int = 3,
        in_channels: int = 3,
    ) -> None:
        super().__init__()
        if not isinstance(spec, Spec):
            raise TypeError(f"NB101 network needs a cbred.spaces.node_dag.Spec, got {type(spec).__name__}")
        check_sizes("NB101", C=C, N=N, num_classes=num_classes, stacks=stacks, in_channels=in_channels)
        self.spec = spec
        self.stem = ConvBNReLU(in_channels, C, 3)
        layers: list[nn.Module] = []
        channels = C
        for stack in range(stacks):
            out = channels if stack == 0 else 2 * channels
            if stack > 0:
                # TensorFlow's 'same' 2x2/2 max-pooling pads odd sizes: ceil_mode.
                layers.append(nn.MaxPool2d(2, stride=2, ceil_mode=True))
            for _ in range(N):
                layers.append(NB101Cell(spec, channels, out))
                channels = out
        self.cells = nn.Sequential(*layers)
        self.classifier = Classifier(channels, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.cells(self.stem(x)))
