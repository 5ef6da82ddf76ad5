"""The network around an edge-operation cell: a stem, stages of cells, reduction blocks.

Layout (the NAS-Bench-201 skeleton, Dong & Yang 2020)::

    stem (3x3 conv, BN) -> N cells (C) -> reduction (2C) -> N cells (2C)
        -> reduction (4C) -> N cells (4C) -> BN, ReLU -> global average pool -> linear

Every declared :class:`~cbred.spaces.edge_cell.EdgeCellSpace` gets this network with its
own operations (:mod:`cbred.models.library`) and the skeleton of its declaration
(``network``: ``C``, ``N``, ``stages``, ``reduction``); NAS-Bench-201 trained ``C=16,
N=5``, three stages, residual reductions. Smaller ``C``/``N``/``stages`` give cheaper
proxy networks for training-free statistics.

References
----------
X. Dong and Y. Yang, "NAS-Bench-201: Extending the Scope of Reproducible Neural
Architecture Search", ICLR 2020.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from torch import Tensor, nn

from cbred.models.library import build_operation
from cbred.models.ops import Classifier, ResidualReduction, _Reset, check_sizes
from cbred.registry import Registry

#: Reduction blocks between stages: ``block(in_channels, out_channels) -> nn.Module``.
REDUCTIONS: Registry[Callable[[int, int], nn.Module]] = Registry("reduction block")
REDUCTIONS["residual"] = ResidualReduction


@REDUCTIONS.register("pool")
def _pool_reduction(in_channels: int, out_channels: int) -> nn.Module:
    """2x2 average pooling, then a 1x1 convolution and batch norm to the new width."""
    return nn.Sequential(nn.AvgPool2d(2, stride=2, ceil_mode=True),
                         nn.Conv2d(in_channels, out_channels, 1, bias=False), nn.BatchNorm2d(out_channels))


class EdgeCell(_Reset):
    """One cell: vertex ``j`` is the sum of its incoming edge operations.

    Every edge keeps its module, zero included (as in NAS-Bench-201), so parameter counts
    include operations whose result never reaches the output.

    Parameters
    ----------
    edges : sequence of (int, int)
        ``(source, target)`` of every edge, sorted by target.
    ops : sequence of str
        Operation of every edge (library names).
    channels : int
        Channels of the input, of every vertex and of the output.

    Shapes
    ------
    - input: ``(B, channels, H, W)``
    - output: ``(B, channels, H, W)``
    """

    def __init__(self, edges: Sequence[tuple[int, int]], ops: Sequence[str], channels: int) -> None:
        super().__init__()
        self.edge_list = tuple(edges)
        self.n_vertices = max(j for _, j in self.edge_list) + 1
        self.edges = nn.ModuleList(build_operation(op, channels) for op in ops)

    def forward(self, x: Tensor) -> Tensor:
        vertices = [x]
        for target in range(1, self.n_vertices):
            vertices.append(sum(op(vertices[source])
                                for (source, j), op in zip(self.edge_list, self.edges) if j == target))
        return vertices[-1]


class CellNetwork(_Reset):
    """The macro network around one edge-operation cell.

    Parameters
    ----------
    space : EdgeCellSpace
        The declaration (edges and operations of the cell).
    arch : str
        Cell string of ``space``.
    C : int, default=16
        Channels of the first stage (doubled by each reduction).
    N : int, default=5
        Cells per stage.
    num_classes : int, default=10
    stages : int, default=3
    in_channels : int, default=3
        Channels of the input images.
    reduction : str, default="residual"
        Block between stages (:data:`REDUCTIONS`).

    Shapes
    ------
    - input: ``(B, in_channels, H, W)``
    - output: ``(B, num_classes)``
    """

    def __init__(self, space, arch: str, C: int = 16, N: int = 5, num_classes: int = 10, stages: int = 3,
                 in_channels: int = 3, reduction: str = "residual") -> None:
        super().__init__()
        check_sizes(space.label, C=C, N=N, num_classes=num_classes, in_channels=in_channels, stages=stages)
        reduce = REDUCTIONS[reduction]
        ops = [space.ops[c] for c in space.parse(arch)]
        self.arch = arch
        self.stem = nn.Sequential(nn.Conv2d(in_channels, C, 3, padding=1, bias=False), nn.BatchNorm2d(C))
        layers: list[nn.Module] = []
        channels = C
        for stage in range(stages):
            if stage > 0:
                layers.append(reduce(channels, 2 * channels))
                channels *= 2
            layers.extend(EdgeCell(space.edges, ops, channels) for _ in range(N))
        self.cells = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.BatchNorm2d(channels), nn.ReLU(inplace=False))
        self.classifier = Classifier(channels, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.head(self.cells(self.stem(x))))
