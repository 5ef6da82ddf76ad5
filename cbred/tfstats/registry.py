"""The registry of training-free statistics.

:data:`STATISTICS` (a :class:`cbred.registry.Registry`) holds every training-free
statistic as a :class:`Statistic` (its function and how to read it); the statistic
families (:mod:`cbred.tfstats.cost`, :mod:`~cbred.tfstats.naswot`,
:mod:`~cbred.tfstats.saliency`, :mod:`~cbred.tfstats.tenas`) register into it when
:mod:`cbred.tfstats` is imported. No caller special-cases a name: everything a caller
needs to know about a statistic is an attribute of its entry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from torch import nn

from cbred.registry import Registry

#: A statistic function: ``fn(network, batch) -> float``.
StatisticFn = Callable[[nn.Module, "ImageBatch"], float]  # noqa: F821 (forward reference)


@dataclass(frozen=True)
class Statistic:
    """A registered training-free statistic.

    Attributes
    ----------
    name : str
    fn : callable
        ``fn(network, batch) -> float``: the value for one freshly initialised network and
        one input batch (:class:`cbred.tfstats.images.ImageBatch`). It must leave the
        network's parameters unchanged (it may switch train/eval mode and run forward
        passes): the runner evaluates all statistics of a repeat on one network, and those
        that read its training-mode forward pass share one
        (:func:`cbred.tfstats.passes.passes_of`).
    higher_is_better : bool
        Direction of the statistic as a predictor of trained accuracy.
    stochastic : bool
        Depends on the initialisation or the input batch, so the runner averages it over
        repeats; ``False`` for architecture costs (one evaluation suffices).
    invariant : bool
        Equal for every member of an isomorphism class, so the runner computes it once per
        class; ``False`` for costs, which count the parameters of operations that never
        reach the output (they differ between isomorphic cells).
    """

    name: str
    fn: StatisticFn
    higher_is_better: bool
    stochastic: bool = True
    invariant: bool = True

    def __call__(self, network: nn.Module, batch) -> float:
        return self.fn(network, batch)


#: Every training-free statistic, by name.
STATISTICS: Registry[Statistic] = Registry("statistic")


def statistic(
    name: str, *, higher_is_better: bool, stochastic: bool = True, invariant: bool = True
) -> Callable[[StatisticFn], StatisticFn]:
    """Decorator registering ``fn(network, batch) -> float`` in :data:`STATISTICS`.

    Returns the plain function, so that it stays importable and testable as itself.
    """

    def add(fn: StatisticFn) -> StatisticFn:
        STATISTICS.register(name)(
            Statistic(name, fn, bool(higher_is_better), bool(stochastic), bool(invariant))
        )
        return fn

    return add


def direction(name: str) -> int:
    """``+1`` when a higher value of statistic ``name`` predicts higher accuracy, else ``-1``.

    Raises
    ------
    UnknownNameError
        (a ``KeyError``) for an unknown name, listing the choices.
    """
    return 1 if STATISTICS[name].higher_is_better else -1


# Every statistic family registers into STATISTICS when imported: import them all here,
# so that whoever reads the registry sees every statistic.
from cbred.tfstats import (  # noqa: E402,F401  (registration)
    aznas,
    cost,
    epe,
    meco,
    naswot,
    saliency,
    swap,
    tenas,
    zen,
    zerocost,
    zico,
)
