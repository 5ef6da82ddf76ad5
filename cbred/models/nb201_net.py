"""The NAS-Bench-201 network: a stem, three stages of cells, residual reductions.

Layout (Dong & Yang 2020, the network every NAS-Bench-201 cell was trained in)::

    stem (3x3 conv, BN) -> N cells (C) -> reduction (2C) -> N cells (2C)
        -> reduction (4C) -> N cells (4C) -> BN, ReLU -> global average pool -> linear

The benchmark trained ``C=16, N=5``; smaller ``C``/``N``/``stages`` give cheaper proxy
networks for training-free statistics.

References
----------
X. Dong and Y. Yang, "NAS-Bench-201: Extending the Scope of Reproducible Neural
Architecture Search", ICLR 2020.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from torch import Tensor, nn

from cbred.spaces.nb201 import EDGES, N_VERTICES, OPS, parse
from cbred.models.ops import (
    AvgPool3x3,
    Classifier,
    ReLUConvBN,
    ResidualReduction,
    Zero,
    _Reset,
    check_sizes,
)

#: Module of each NB201 edge operation, given the (constant) channel count of the cell.
EDGE_OPS: dict[str, Callable[[int], nn.Module]] = {
    "none": lambda channels: Zero(),
    "skip_connect": lambda channels: nn.Identity(),
    "nor_conv_1x1": lambda channels: ReLUConvBN(channels, channels, 1),
    "nor_conv_3x3": lambda channels: ReLUConvBN(channels, channels, 3),
    "avg_pool_3x3": lambda channels: AvgPool3x3(),
}


class NB201Cell(_Reset):
    """One NB201 cell: vertex ``j`` is the sum of its incoming edge operations.

    Every edge keeps its module, ``none`` included (as in the benchmark), so parameter
    counts include operations whose result never reaches the output.

    Parameters
    ----------
    codes : sequence of int
        Operation codes of the six edges, in the order of :data:`cbred.spaces.nb201.EDGES`.
    channels : int
        Channels of the input, of every vertex and of the output.

    Shapes
    ------
    - input: ``(B, channels, H, W)``
    - output: ``(B, channels, H, W)``
    """

    def __init__(self, codes: Sequence[int], channels: int) -> None:
        super().__init__()
        self.edges = nn.ModuleList(EDGE_OPS[OPS[code]](channels) for code in codes)

    def forward(self, x: Tensor) -> Tensor:
        vertices = [x]
        for target in range(1, N_VERTICES):
            vertices.append(
                sum(
                    op(vertices[source])
                    for (source, j), op in zip(EDGES, self.edges)
                    if j == target
                )
            )
        return vertices[-1]


class NB201Network(_Reset):
    """The NAS-Bench-201 macro network around one cell.

    Parameters
    ----------
    arch : str
        Official NB201 cell string.
    C : int, default=16
        Channels of the first stage (doubled by each reduction).
    N : int, default=5
        Cells per stage.
    num_classes : int, default=10
    stages : int, default=3
        Number of stages (1 to 3); the benchmark's network has 3.
    in_channels : int, default=3
        Channels of the input images.

    Shapes
    ------
    - input: ``(B, in_channels, H, W)``
    - output: ``(B, num_classes)``
    """

    def __init__(
        self,
        arch: str,
        C: int = 16,
        N: int = 5,
        num_classes: int = 10,
        stages: int = 3,
        in_channels: int = 3,
    ) -> None:
        super().__init__()
        check_sizes("NB201", C=C, N=N, num_classes=num_classes, in_channels=in_channels)
        if stages not in (1, 2, 3):
            raise ValueError(f"NB201 network: stages must be 1, 2 or 3, got {stages!r}")
        codes = parse(arch)
        self.arch = arch
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, C, 3, padding=1, bias=False), nn.BatchNorm2d(C)
        )
        layers: list[nn.Module] = []
        channels = C
        for stage in range(stages):
            if stage > 0:
                layers.append(ResidualReduction(channels, 2 * channels))
                channels *= 2
            layers.extend(NB201Cell(codes, channels) for _ in range(N))
        self.cells = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.BatchNorm2d(channels), nn.ReLU(inplace=False))
        self.classifier = Classifier(channels, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.head(self.cells(self.stem(x))))
