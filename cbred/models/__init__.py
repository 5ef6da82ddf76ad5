"""Torch networks of the search spaces, built from architecture ids.

``build_network(space, arch, **config)`` builds the network a space's declaration
describes around cell ``arch``: the builder is looked up in :data:`NETWORKS` by the
space's ``network_kind`` (``edge_cell``, ``node_dag``, ``darts``), its defaults are the
declaration's ``network`` and ``config`` overrides them (``C``, ``N``, ``num_classes``,
...), so cheaper proxy networks are one override away.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from torch import nn

from cbred.registry import Registry
from cbred.spaces.builtin import BUILTIN_SPACES

#: Network builders by network kind: ``builder(space, arch, **config) -> nn.Module``.
NETWORKS: Registry[Callable[..., nn.Module]] = Registry("network")


@NETWORKS.register("edge_cell")
def _edge_cell(space: Any, arch: str, **config: Any) -> nn.Module:
    from cbred.models.cell_network import CellNetwork

    return CellNetwork(space, arch, **config)


@NETWORKS.register("node_dag")
def _node_dag(space: Any, arch: Any, **config: Any) -> nn.Module:
    from cbred.models.nb101_net import NB101Network

    if isinstance(arch, str):
        if not space.has_cells:  # never enumerate a space for one cell
            raise ValueError(
                f"{space.name} cell {arch!r} is a module hash: pass its Spec, or a space that knows it "
                "(a table of cells; the channel split depends on the vertex order of the spec)"
            )
        arch = space.spec(arch)
    return NB101Network(arch, **config)  # checks that arch is a Spec


@NETWORKS.register("darts")
def _darts(space: Any, arch: str, **config: Any) -> nn.Module:
    from cbred.models.darts_net import DartsNetwork

    return DartsNetwork(space, arch, **config)


def build_network(space: Any, arch: Any, **config: Any) -> nn.Module:
    """The torch network of architecture ``arch`` of ``space``.

    Parameters
    ----------
    space : SearchSpace or str
        A declared space, or the name of a built-in one (:data:`cbred.spaces.builtin.BUILTIN_SPACES`:
        ``"nb201"``, ``"nb101"``, ``"tnb101_micro"``, ``"darts"``).
    arch : str or Spec
        An id of ``space`` (NB101: a module hash the space knows, or a
        :class:`~cbred.spaces.nb101.Spec`).
    **config
        Overrides of the declaration's ``network`` (``C``, ``N``, ``num_classes``, ...).

    Raises
    ------
    UnknownNameError
        (a ``KeyError``) for an unknown space name or network kind, listing the choices.
    """
    if isinstance(space, str):
        space = BUILTIN_SPACES[space]()
    return NETWORKS[space.network_kind](space, arch, **{**space.network, **config})


__all__ = ["NETWORKS", "build_network"]
