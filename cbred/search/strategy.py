"""The ask/tell interface every search strategy implements.

A strategy proposes architectures (:meth:`SearchStrategy.ask`) and learns their accuracy
(:meth:`SearchStrategy.tell`); it never calls an evaluator itself, so that one loop
(:func:`cbred.search.loop.run_search`) drives it synchronously, over parallel workers
whose results come back in any order, or from a query log. Several ``ask`` calls may
precede their ``tell`` (asynchronous evaluation). No architecture is proposed twice: a
strategy asks only for architectures neither evaluated nor pending, and ``ask`` returns
``None`` once it has nothing left to propose (the sub-space is exhausted).
"""

from __future__ import annotations

import abc
import math
from typing import Any

import numpy as np

from cbred.search.domain import Domain


class SearchStrategy(abc.ABC):
    """Base class: bookkeeping of asked, pending and evaluated architectures.

    Subclasses store their parameters in a keyword-only ``__init__``, validate them in
    :meth:`_check_params` and implement :meth:`_propose` (an unseen architecture or None)
    and :meth:`_observe` (update the state with one result).

    Attributes
    ----------
    domain_ : Domain
        Set by :meth:`start`.
    history_ : dict of str to float
        Accuracy of every evaluated architecture, in the order of the results.
    pending_ : set of str
        Asked architectures whose result has not been told.
    """

    def start(self, domain: Domain, *, random_state: Any = None) -> SearchStrategy:
        """Validate the parameters and reset the search on ``domain``; returns ``self``.

        Parameters
        ----------
        domain : Domain
        random_state : int, sequence of int or numpy Generator, optional
            All randomness of the search comes from it.
        """
        if not isinstance(domain, Domain):
            raise TypeError(f"{type(self).__name__}.start: domain must be a SearchDomain or a SampledDomain, "
                            f"got {type(domain).__name__}")
        self._check_params()
        self.domain_ = domain
        self.rng_ = np.random.default_rng(random_state)
        self.history_: dict[str, float] = {}
        self.pending_: set[str] = set()
        self._seen: _Seen = _Seen(self.history_, self.pending_)
        self._reset()
        return self

    def ask(self) -> str | None:
        """The next architecture to evaluate, or None when there is none left to propose."""
        self._check_started("ask")
        arch = self._propose()
        if arch is None:
            return None
        if arch in self._seen:
            raise RuntimeError(f"{type(self).__name__} proposed {arch!r} twice (a bug in the strategy)")
        self.pending_.add(arch)
        return arch

    def tell(self, arch: str, accuracy: float) -> None:
        """The accuracy of an asked architecture.

        Raises
        ------
        KeyError
            When ``arch`` was not asked or was already told.
        ValueError
            When ``accuracy`` is not a finite number.
        """
        self._check_started("tell")
        if arch not in self.pending_:
            state = "was already told" if arch in self.history_ else "was never asked"
            raise KeyError(f"{type(self).__name__}.tell: {arch!r} {state}")
        accuracy = float(accuracy)
        if not math.isfinite(accuracy):
            raise ValueError(f"{type(self).__name__}.tell: accuracy of {arch!r} is {accuracy}")
        self.pending_.discard(arch)
        self.history_[arch] = accuracy
        self._observe(arch, accuracy)

    @property
    def shared_random_draws(self) -> int:
        """How many first proposals are the uniform draws :class:`~cbred.search.random_search.RandomSearch` makes with the
        same ``random_state`` (both draw from one stream): over those queries the two
        strategies' curves coincide. 0: none are claimed."""
        return 0

    def _check_started(self, method: str) -> None:
        if not hasattr(self, "domain_"):
            raise RuntimeError(f"{type(self).__name__}.{method}: call start(domain) first")

    def _draw_unseen(self) -> str | None:
        """A not-yet-seen member of the sub-space, uniformly."""
        return self.domain_.draw_unseen(self.rng_, self._seen)

    def _check_params(self) -> None:
        """Raise ``ValueError`` naming the parameter when one is invalid."""

    def _reset(self) -> None:
        """Initialise the strategy's own state (called by :meth:`start`)."""

    @abc.abstractmethod
    def _propose(self) -> str | None:
        """An architecture not in ``history_`` nor ``pending_``, or None."""

    def _observe(self, arch: str, accuracy: float) -> None:
        """Update the state with one result (after ``history_`` was updated)."""

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.endswith("_") and not k.startswith("_"))
        return f"{type(self).__name__}({params})"


class _Seen:
    """Read-only union of evaluated and pending architectures (no copy)."""

    def __init__(self, history: dict, pending: set) -> None:
        self._history, self._pending = history, pending

    def __contains__(self, arch: object) -> bool:
        return arch in self._history or arch in self._pending

    def __len__(self) -> int:
        return len(self._history) + len(self._pending)

    def __iter__(self):
        yield from self._history
        yield from self._pending


def check_positive_int(owner: str, name: str, value: object) -> None:
    """Raise ``ValueError`` unless ``value`` is an int >= 1, naming ``owner`` and ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{owner}: {name} must be an int >= 1, got {value!r}")
