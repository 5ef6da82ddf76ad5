"""Torch networks of the search spaces, built from architecture ids.

``build_network(space_name, arch, **config)`` looks the space up in :data:`NETWORKS`
(``"nb201"``, ``"nb101"``) and builds the benchmark's network around the cell; ``C``
(width), ``N`` (cells per stage) and ``num_classes`` are keyword parameters of every
network, so cheaper proxy networks are one override away.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from torch import nn

from cbred.registry import Registry

#: Network builders by space name: ``builder(arch, space=None, **config) -> nn.Module``.
NETWORKS: Registry[Callable[..., nn.Module]] = Registry("network")


@NETWORKS.register("nb201")
def _nb201(arch: str, space: Any = None, **config: Any) -> nn.Module:
    from cbred.models.nb201_net import NB201Network

    return NB201Network(arch, **config)


@NETWORKS.register("nb101")
def _nb101(arch: Any, space: Any = None, **config: Any) -> nn.Module:
    from cbred.models.nb101_net import NB101Network

    if isinstance(arch, str):
        if space is None:
            raise ValueError(
                f"NB101 cell {arch!r} is a module hash: pass its Spec, or space= an NB101Space "
                "that knows it (the channel split depends on the vertex order of the spec)"
            )
        arch = space.spec(arch)
    return NB101Network(arch, **config)  # checks that arch is a Spec


def build_network(space_name: str, arch: Any, **config: Any) -> nn.Module:
    """The torch network of architecture ``arch`` of space ``space_name``.

    Parameters
    ----------
    space_name : str
        Key of :data:`NETWORKS` (``"nb201"``, ``"nb101"``).
    arch : str or Spec
        NB201 cell string; NB101 :class:`~cbred.spaces.nb101.Spec`, or module hash together
        with ``space=`` (an :class:`~cbred.spaces.nb101.NB101Space`).
    **config
        ``C``, ``N``, ``num_classes`` and the network's other keyword parameters
        (:class:`~cbred.models.nb201_net.NB201Network`,
        :class:`~cbred.models.nb101_net.NB101Network`); ``space`` for NB101 hashes.

    Raises
    ------
    UnknownNameError
        (a ``KeyError``) for an unknown space, listing the choices.
    """
    return NETWORKS[space_name](arch, **config)


__all__ = ["NETWORKS", "build_network"]
