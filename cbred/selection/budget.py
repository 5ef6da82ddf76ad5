"""The size of the sub-space a user asks for, and how an order of units fills it.

A budget is a fraction of the space (a number in ``(0, 1)``) or a number of
architectures (an integer ``>= 1``). Every selection procedure orders the units
(isomorphism classes, or single cells) from the most to the least promising;
:func:`fill_budget` takes the cells of the units in that order until the budget is
exactly filled (the last unit may be cut, its cells taken in space order). Every
procedure therefore returns a sub-space of exactly the budgeted size, comparable with
Quantiled at equal size.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
import pandas as pd


def check_budget(budget, *, option: str = "selection.budget") -> None:
    """``ValueError`` for a budget no space can take: the rule of :func:`budget_cells`
    without the space's size (checked once the space is known), before anything is loaded.
    """
    if isinstance(budget, bool) or not isinstance(budget, numbers.Real) or not math.isfinite(budget) or budget <= 0:
        raise ValueError(
            f"{option} must be a fraction in (0, 1) or a number of architectures >= 1, got {budget!r}"
        )
    if budget >= 1 and not isinstance(budget, numbers.Integral):
        raise ValueError(
            f"{option}={budget!r}: a budget >= 1 counts architectures and must be an integer "
            f"(write {int(budget)} for {_cells(int(budget))}, or a fraction below 1, e.g. 0.01 for 1 %; "
            "the whole space is no reduction)" if budget == int(budget) else
            f"{option}={budget!r}: a budget >= 1 counts architectures and must be an integer "
            "(write a fraction as a number below 1, e.g. 0.01)"
        )


def budget_cells(budget: float | int, n_total: int, *, option: str = "selection.budget") -> int:
    """Number of architectures a ``budget`` asks for in a space of ``n_total``.

    Parameters
    ----------
    budget : float or int
        A fraction in ``(0, 1)`` (``0.01``: one per cent, rounded, at least one cell), or
        an integer number of architectures ``>= 1``. A float ``>= 1`` is refused: ``1.0``
        could mean "one cell" or "the whole space", ``500.0`` is written ``500``.
    n_total : int
        Architectures in the space being reduced (after constraints).
    option : str, default="selection.budget"
        The option the messages name (``tfstats.budget`` counts measurements the same way).

    Raises
    ------
    ValueError
        A budget that is not a positive number, a float ``>= 1`` (naming both spellings;
        :func:`check_budget`), or more architectures than the space has.
    """
    check_budget(budget, option=option)
    if budget < 1:  # halves round up (Python's round would go to the even neighbour)
        return max(1, math.floor(budget * n_total + 0.5))
    if budget > n_total:
        raise ValueError(f"{option}={int(budget)} architectures, but the space has only {n_total}")
    return int(budget)


def _cells(n: int) -> str:
    return "one cell" if n == 1 else f"{n} cells"


def fill_budget(order: pd.Index, units: pd.Series, n_cells: int) -> pd.Index:
    """The first ``n_cells`` architectures when units are taken in ``order``.

    Parameters
    ----------
    order : Index
        Unit ids, best first; units missing from it come after, in space order.
    units : Series
        Unit of every architecture (index: architecture ids in space order).
    n_cells : int

    Returns
    -------
    Index
        ``n_cells`` architecture ids, in space order.
    """
    if not 1 <= n_cells <= len(units):
        raise ValueError(f"n_cells must be in [1, {len(units)}] (the architectures there are), got {n_cells}")
    if not order.is_unique:
        raise ValueError(f"order lists units more than once, e.g. {order[order.duplicated()][:3].tolist()}")
    taken = np.sort(_order_of_cells(order, units)[:n_cells])
    return units.index[taken]


def selection_order(order: pd.Index, units: pd.Series, selected: pd.Index) -> pd.Index:
    """The ``selected`` architectures in the order :func:`fill_budget` took them.

    Parameters
    ----------
    order : Index
        Unit ids, best first (as given to :func:`fill_budget`).
    units : Series
        Unit of every architecture (index: architecture ids in space order).
    selected : Index
        The selection, a subset of ``units.index``.

    Returns
    -------
    Index
        ``selected`` reordered: the cells of the first unit of ``order`` first; cells of one
        unit (and of units outside ``order``) keep their order in ``selected``, as
        :func:`fill_budget` keeps space order among them.
    """
    missing = pd.Index(selected).difference(units.index)
    if len(missing):
        raise ValueError(f"{len(missing)} selected architectures have no unit, e.g. {missing[0]!r}")
    return pd.Index(selected)[_order_of_cells(order, units.reindex(selected))]


def _order_of_cells(order: pd.Index, units: pd.Series) -> np.ndarray:
    """Positions of the cells of ``units`` when units are taken in ``order`` (cells of units
    outside it last); stable, so that within a unit cells keep their order in ``units``."""
    position = pd.Series(np.arange(len(order)), index=order)
    return np.argsort(units.map(position).fillna(len(order)).to_numpy(), kind="stable")
