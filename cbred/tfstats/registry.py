"""Registries: names -> objects, filled by decorators, strict about names.

A :class:`Registry` rejects a duplicate registration and an unknown look-up with a
message that lists the registered choices. :data:`STATISTICS` holds every training-free
statistic as a :class:`Statistic` (its function and how to read it); the statistic
families (:mod:`cbred.tfstats.cost`, :mod:`~cbred.tfstats.naswot`,
:mod:`~cbred.tfstats.saliency`, :mod:`~cbred.tfstats.tenas`) register into it when
:mod:`cbred.tfstats` is imported. No caller special-cases a name: everything a caller
needs to know about a statistic is an attribute of its entry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

from torch import nn

T = TypeVar("T")


class UnknownNameError(KeyError):
    """A name that is not in a registry (message lists the choices)."""

    def __str__(self) -> str:  # KeyError would print the repr of the message
        return str(self.args[0])


class Registry(Generic[T]):
    """Named objects, registered once each.

    Parameters
    ----------
    kind : str
        What the registry holds, used in error messages ("statistic", "network").
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        """Decorator that registers its argument under ``name`` and returns it unchanged."""
        if not isinstance(name, str) or not name:
            raise ValueError(f"{self.kind} name must be a non-empty string, got {name!r}")

        def add(obj: T) -> T:
            if name in self._entries:
                raise ValueError(
                    f"{self.kind} {name!r} is already registered "
                    f"(registered: {', '.join(self._entries)})"
                )
            self._entries[name] = obj
            return obj

        return add

    def __getitem__(self, name: str) -> T:
        try:
            return self._entries[name]
        except (KeyError, TypeError):
            raise UnknownNameError(
                f"unknown {self.kind} {name!r} (choices: {', '.join(sorted(self._entries))})"
            ) from None

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def names(self) -> tuple[str, ...]:
        """Registered names, in registration order."""
        return tuple(self._entries)

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}: {', '.join(self._entries)})"


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
        one input batch (:class:`cbred.data.images.ImageBatch`). It must leave the
        network's parameters unchanged (it may switch train/eval mode and run forward
        passes): the runner evaluates all statistics of a repeat on one network.
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
