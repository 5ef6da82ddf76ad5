"""The DARTS evaluation network around a normal and a reduction cell.

Layout (DARTS's ``NetworkCIFAR`` without the auxiliary head and drop path, Liu et al.
2019)::

    stem (3x3 conv to 3C, BN) -> layers cells -> global average pool -> linear

Cells ``layers // 3`` and ``2 * layers // 3`` are reduction cells (channels doubled,
resolution halved), the others normal cells. Every cell reads the outputs of the two
cells before it (the stem's output stands in for both at first), preprocessed to the
cell's channels by a 1x1 :class:`~cbred.models.ops.ReLUConvBN`, or by a
:class:`~cbred.models.ops.FactorizedReduce` for the older one right after a reduction
(it is twice as large). Edge operations come from :mod:`cbred.models.library`, those
reading a reduction cell's inputs with stride 2; a node sums its two edges, the cell
concatenates its intermediate nodes. DARTS evaluated ``C=36, layers=20`` on CIFAR-10
(3.3M parameters); the declaration's defaults ``C=16, layers=8`` are its search network's
size, and smaller ``C``/``layers`` give cheaper proxy networks for training-free
statistics.

References
----------
H. Liu, K. Simonyan and Y. Yang, "DARTS: Differentiable Architecture Search", ICLR 2019.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from cbred.models.library import build_operation
from cbred.models.ops import Classifier, FactorizedReduce, ReLUConvBN, _Reset, check_sizes

#: DARTS's stem widens the input to this many times ``C``.
STEM_MULTIPLIER = 3


class DartsCell(_Reset):
    """One DARTS cell: intermediate node ``k`` sums two operations of earlier states.

    Every edge keeps its module, zero included (as in DARTS).

    Parameters
    ----------
    edges : sequence of (str, int)
        ``(operation, state)`` of every edge, two per intermediate node in node order;
        states ``0`` and ``1`` are the cell inputs, ``k + 2`` intermediate node ``k``.
    prev_prev_channels, prev_channels : int
        Channels of the outputs of the cell before the previous one and of the previous one.
    channels : int
        Channels of every intermediate node (the output has ``len(edges) // 2`` times as many).
    reduction : bool
        Whether the cell halves the resolution (its input edges have stride 2).
    reduction_prev : bool
        Whether the previous cell halved the resolution (the older input is then twice as
        large and is reduced too).

    Shapes
    ------
    - inputs: ``(B, prev_prev_channels, H', W')`` with ``H' = 2H`` after a reduction, else
      ``H``; and ``(B, prev_channels, H, W)``
    - output: ``(B, n_nodes * channels, H / s, W / s)``, ``s = 2`` for a reduction cell
    """

    def __init__(self, edges: Sequence[tuple[str, int]], prev_prev_channels: int, prev_channels: int,
                 channels: int, reduction: bool, reduction_prev: bool) -> None:
        super().__init__()
        self.states = tuple(state for _, state in edges)
        self.n_nodes = len(edges) // 2
        self.reduction = reduction
        self.preprocess0 = (FactorizedReduce(prev_prev_channels, channels) if reduction_prev
                            else ReLUConvBN(prev_prev_channels, channels, 1))
        self.preprocess1 = ReLUConvBN(prev_channels, channels, 1)
        # in a reduction cell only the edges reading the (full-resolution) inputs subsample
        self.ops = nn.ModuleList(
            build_operation(op, channels, channels, 2 if reduction and state < 2 else 1) for op, state in edges
        )

    @property
    def out_channels_multiplier(self) -> int:
        """Output channels per intermediate node's channels (the concatenated nodes)."""
        return self.n_nodes

    def forward(self, s0: Tensor, s1: Tensor) -> Tensor:
        states = [self.preprocess0(s0), self.preprocess1(s1)]
        for k in range(self.n_nodes):
            a, b = 2 * k, 2 * k + 1
            states.append(self.ops[a](states[self.states[a]]) + self.ops[b](states[self.states[b]]))
        return torch.cat(states[2:], dim=1)


class DartsNetwork(_Reset):
    """DARTS's CIFAR evaluation network around the cells of ``arch``.

    Parameters
    ----------
    space : DartsSpace
        The declaration (operations, nodes per cell).
    arch : str or DartsArch
        An id of ``space`` (or its structured form).
    C : int, default=16
        Channels of the first cells' nodes (doubled by each reduction cell).
    layers : int, default=8
        Cells; those at ``layers // 3`` and ``2 * layers // 3`` are reduction cells.
    num_classes : int, default=10
    in_channels : int, default=3
        Channels of the input images.

    Shapes
    ------
    - input: ``(B, in_channels, H, W)``, ``H`` and ``W`` divisible by 4 (two reductions)
    - output: ``(B, num_classes)``
    """

    def __init__(self, space, arch, C: int = 16, layers: int = 8, num_classes: int = 10,
                 in_channels: int = 3) -> None:
        super().__init__()
        check_sizes(space.name.upper(), C=C, layers=layers, num_classes=num_classes, in_channels=in_channels)
        parsed = space.parse(arch) if isinstance(arch, str) else space.check_arch(arch)
        normal, reduce = ([(space.ops[op], state) for node in cell for op, state in node] for cell in parsed)
        self.arch = space.format(parsed)  # canonical id
        stem = STEM_MULTIPLIER * C
        self.stem = nn.Sequential(nn.Conv2d(in_channels, stem, 3, padding=1, bias=False), nn.BatchNorm2d(stem))
        reductions = {layers // 3, 2 * layers // 3}
        prev_prev, prev, channels = stem, stem, C
        reduction_prev = False
        cells = []
        for layer in range(layers):
            reduction = layer in reductions
            channels *= 2 if reduction else 1
            cell = DartsCell(reduce if reduction else normal, prev_prev, prev, channels, reduction, reduction_prev)
            cells.append(cell)
            prev_prev, prev = prev, cell.out_channels_multiplier * channels
            reduction_prev = reduction
        self.cells = nn.ModuleList(cells)
        self.classifier = Classifier(prev, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        s0 = s1 = self.stem(x)
        for cell in self.cells:
            s0, s1 = s1, cell(s0, s1)
        return self.classifier(s1)
