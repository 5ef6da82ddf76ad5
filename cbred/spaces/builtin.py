"""The spaces the project declares, by name: what a name stands for outside a config.

``configs/space/*.yaml`` declare the same spaces for the command lines (tests keep both
equal); this registry serves code that is given a name, e.g.
``cbred.models.build_network("nb201", arch)`` or the search stand-ins.
"""

from __future__ import annotations

from collections.abc import Callable

from cbred.registry import Registry
from cbred.spaces.space import SearchSpace

#: Constructors of the declared spaces by name (no cell table is read or enumerated).
BUILTIN_SPACES: Registry[Callable[[], SearchSpace]] = Registry("space")


@BUILTIN_SPACES.register("nb201")
def _nb201() -> SearchSpace:
    from cbred.spaces.nb201 import NB201Space

    return NB201Space()


@BUILTIN_SPACES.register("nb101")
def _nb101() -> SearchSpace:
    from cbred.spaces.nb101 import NB101Space

    return NB101Space()


@BUILTIN_SPACES.register("tnb101_micro")
def _tnb101_micro() -> SearchSpace:
    from cbred.spaces.edge_cell import EdgeCellSpace
    from cbred.spaces.nb201 import NETWORK

    return EdgeCellSpace(name="tnb101_micro", operations=("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3"),
                         network=NETWORK)


@BUILTIN_SPACES.register("darts")
def _darts() -> SearchSpace:
    from cbred.spaces.darts import DartsSpace

    return DartsSpace(network={"C": 16, "layers": 8})  # configs/space/darts.yaml
