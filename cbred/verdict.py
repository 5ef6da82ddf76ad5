"""The end of a run in a few lines: how the selection fares against its baselines, and what
to distrust.

:func:`verdict` turns a :class:`~cbred.pipeline.Reduction` into a :class:`Verdict`: one
small table (the full space, the selection, Quantiled and random, by size, mean accuracy,
best-of-N and top-1 % recall), a plain sentence for every baseline that beats the selection,
and warnings about the run itself:

* a parameter the procedure chose (K, eta, the number of neighbours) on the edge of the
  grid it searched (:func:`grid_edges`): the best value may lie beyond the grid;
* a selection (or selected cluster) that is a trivial split of the space, almost exactly
  the cells with or without one operation (:func:`trivial_splits`);
* what the constraints removed, each of them, against the whole space;
* a baseline that holds (nearly) the selected cells (:func:`overlap_notes`);
* a best-of-N of a sub-space with fewer than N cells with accuracy: the best of all of them,
  not of N, so it is left out of the table and the comparisons (:func:`short_of_n`).

``reduce.py`` logs it at the end of every run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

#: Rows of the verdict table, in order.
SUBSETS = ("full", "selected", "quantiled", "random")
#: What the table and the sentences call the sub-spaces.
SUBSET_NAMES = {"full": "the full space", "selected": "the selection", "quantiled": "Quantiled",
                "random": "random"}
#: Jaccard index above which a selection counts as a split by one operation.
TRIVIAL_JACCARD = 0.9


@dataclass(frozen=True)
class GridEdge:
    """A chosen parameter on the edge of the grid it was chosen from."""

    parameter: str
    value: float
    low: float
    high: float

    def describe(self) -> str:
        side = "smallest" if self.value == self.low else "largest"
        return (f"chosen {self.parameter}={self.value:g} is the {side} value of its grid "
                f"({self.low:g}-{self.high:g})")


def grid_edges(table: pd.DataFrame, chosen: Mapping, min_grid: int = 3) -> list[GridEdge]:
    """Chosen parameters that sit on the edge of their grid.

    Parameters
    ----------
    table : DataFrame
        How the parameters were chosen: one row per candidate (a stability table, a
        leave-one-out table), one column per parameter.
    chosen : mapping
        The chosen parameters (``Reduction.best_params``); keys that are not numeric
        columns of ``table`` are ignored.
    min_grid : int
        Grids of fewer distinct values are not judged (every choice of two is an edge).

    Returns
    -------
    list of GridEdge
    """
    edges = []
    for name, value in chosen.items():
        if name not in table.columns or not isinstance(value, (int, float, np.number)):
            continue
        grid = np.unique(pd.to_numeric(table[name], errors="coerce").dropna().to_numpy())
        if len(grid) >= min_grid and value in (grid[0], grid[-1]):
            edges.append(GridEdge(str(name), float(value), float(grid[0]), float(grid[-1])))
    return edges


def trivial_splits(members: pd.Index, op_counts: pd.DataFrame, threshold: float = TRIVIAL_JACCARD) -> list[str]:
    """Operations whose presence or absence (almost) defines ``members``.

    Parameters
    ----------
    members : Index
        The group (selection, selected cluster), a subset of ``op_counts.index``.
    op_counts : DataFrame
        Index arch id (the reduced space), one column per operation, counts per cell.
    threshold : float
        Jaccard index between ``members`` and the cells with (without) an operation above
        which the group is that split.

    Returns
    -------
    list of str
        E.g. ``["the cells without nor_conv_3x3 (Jaccard 0.97)"]``.
    """
    inside = op_counts.index.isin(members)
    found = []
    for op in op_counts.columns:
        has = op_counts[op].to_numpy() > 0
        for side, cells in (("with", has), ("without", ~has)):
            if not cells.any() or cells.all():
                continue
            jaccard = (inside & cells).sum() / (inside | cells).sum()
            if jaccard >= threshold:
                found.append(f"the cells {side} {op} (Jaccard {jaccard:.2f})")
    return found


@dataclass
class Verdict:
    """The end-of-run table, the sentences a reader should see, and the warnings.

    Attributes
    ----------
    table : DataFrame
        Rows ``full``, ``selected``, ``quantiled``, ``random``; columns ``size`` and, with
        a benchmark, ``mean``, ``best-of-N`` (one per budget), ``top-1% recall``.
    sentences : list of str
        The outcome in words: every baseline that beats the selection, and on what.
    warnings : list of str
        What to distrust about the run (edge choices, trivial splits, constraints).
    metric : str or None
        The accuracy column the table reads.
    """

    table: pd.DataFrame
    sentences: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    metric: str | None = None

    def __str__(self) -> str:
        lines = [_render(self.table, self.metric), *self.sentences]
        lines += [f"warning: {text}" for text in self.warnings]
        return "\n".join(lines)


def _render(table: pd.DataFrame, metric: str | None) -> str:
    def cell(column: str, value) -> str:
        if pd.isna(value):
            return ""
        if column in ("size", "evaluated"):
            return f"{int(value):,}"
        return _number(column, value)

    header = {column: (f"mean {metric}" if column == "mean" and metric else column) for column in table.columns}
    rows = [["", *header.values()]] + [
        [SUBSET_NAMES.get(name, name).removeprefix("the "), *(cell(c, row[c]) for c in table.columns)]
        for name, row in table.iterrows()
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(text.ljust(w) if i == 0 else text.rjust(w) for i, (text, w) in enumerate(zip(row, widths)))
        for row in rows
    )


def verdict_table(reduction) -> pd.DataFrame:
    """Size and, with an evaluation, mean / best-of-N / top-1 % recall of the four sub-spaces."""
    sizes = pd.Series({name: len(reduction.subsets[name]) for name in SUBSETS}, name="size")
    evaluation = reduction.evaluation
    if evaluation is None:
        return sizes.to_frame()
    summary = evaluation.summary
    columns = {"acc_mean": "mean", **{f"best_of_{n}": f"best-of-{n}" for n in evaluation.budgets},
               "top1pct_recall": "top-1% recall"}
    table = summary.reindex(index=list(SUBSETS), columns=list(columns)).rename(columns=columns)
    table.insert(0, "size", sizes)
    evaluated = summary.get("n_evaluated", sizes).reindex(table.index)
    if (evaluated < sizes).any():  # an accuracy table of part of the space: say how much it covers
        table.insert(1, "evaluated", evaluated)
    for n, names in short_of_n(evaluated, evaluation.budgets).items():
        table.loc[names, f"best-of-{n}"] = np.nan  # the best of fewer than n cells compares with no best-of-n
    return table


def short_of_n(evaluated: pd.Series, budgets: Sequence[int]) -> dict[int, list[str]]:
    """The sub-spaces with fewer cells with accuracy than ``n``, by best-of-``n`` budget.

    Their best-of-``n`` is the best of all their cells, a figure of another ``n``: it is
    not shown beside the others.
    """
    short = {n: [name for name, count in evaluated.items() if pd.notna(count) and count < n] for n in budgets}
    return {n: names for n, names in short.items() if names}


def _number(measure: str, value: float, digits: int = 0) -> str:
    """``value`` as the table shows it, with ``digits`` more decimals."""
    if "recall" in measure:
        return f"{value:.{3 + digits}f}"
    # accuracies as fractions (NB101's 0.93) need more digits than percentages (NB201's 93.21)
    return f"{value:.{(4 if abs(value) <= 1 else 2) + digits}f}"


def _pair(measure: str, theirs: float, ours: float) -> str:
    """``"theirs vs ours"`` with the fewest extra decimals that tell them apart."""
    for digits in range(5):
        a, b = _number(measure, theirs, digits), _number(measure, ours, digits)
        if a != b:
            break
    return f"{a} vs {b}"


def losses(table: pd.DataFrame, tolerance: float = 1e-9) -> list[str]:
    """One sentence per baseline that beats the selection, naming the measures and values.

    The full space is not judged on top-1 % recall (it holds every top architecture).
    """
    if "mean" not in table.columns:
        return []
    measures = [column for column in table.columns if column not in ("size", "evaluated")]
    selected = table.loc["selected"]
    sentences = []
    for baseline in ("quantiled", "random", "full"):
        row = table.loc[baseline]
        beaten = [
            f"{measure} ({_pair(measure, row[measure], selected[measure])})"
            for measure in measures
            if not (baseline == "full" and "recall" in measure)
            and pd.notna(row[measure]) and pd.notna(selected[measure])
            and row[measure] > selected[measure] + tolerance
        ]
        if beaten:
            listed = ", ".join(beaten[:-1]) + (" and " if len(beaten) > 1 else "") + beaten[-1]
            sentences.append(f"{SUBSET_NAMES[baseline].capitalize()} beats the selection on {listed}.")
    if not sentences:
        sentences.append("The selection matches or beats Quantiled, random and the full space on every measure.")
    return sentences


def verdict(
    reduction,
    *,
    op_counts: pd.DataFrame | None = None,
    constraint_removals: Mapping[str, int] | None = None,
) -> Verdict:
    """The verdict of one reduction.

    Parameters
    ----------
    reduction : Reduction
        The result of :func:`cbred.pipeline.reduce_space`.
    op_counts : DataFrame, optional
        Operation counts per architecture of the reduction (index arch id, one column per
        operation), for the trivial-split check; without it the check is skipped.
    constraint_removals : mapping of str to int, optional
        Architectures of the whole space each constraint removes on its own
        (:func:`constraint_removals`); said in the warnings.

    Returns
    -------
    Verdict
    """
    table = verdict_table(reduction)
    metric = reduction.evaluation.metric if reduction.evaluation is not None else None
    sentences = losses(table)
    if reduction.evaluation is None:
        sentences.append("No accuracy table: give benchmark=nb201_cifar10 (or benchmark.path=FILE "
                         "benchmark.metric=COLUMN) to compare the selection with its baselines.")
    notes = [edge.describe() + ": the best value may lie beyond the grid; widen it"
             for edge in grid_edges(reduction.stability, reduction.best_params)]
    if op_counts is not None:
        groups = {"the selection": reduction.selected}
        if reduction.n_clusters:
            labels = reduction.labels
            groups[f"the selected cluster {reduction.selected_cluster}"] = labels.index[
                (labels == reduction.selected_cluster).to_numpy()]
        for name, members in groups.items():
            for split in trivial_splits(pd.Index(members), op_counts.reindex(reduction.archs).fillna(0)):
                notes.append(f"{name} is a trivial split: almost exactly {split}")
    notes += _constraint_notes(reduction, constraint_removals or {})
    notes += overlap_notes(reduction)
    notes += short_of_n_notes(table, reduction.evaluation.budgets) if reduction.evaluation is not None else []
    return Verdict(table, sentences, notes, metric)


#: Share of the selection a baseline may hold before a comparison with it says little.
SAME_CELLS = 0.95


def overlap_notes(reduction, threshold: float = SAME_CELLS) -> list[str]:
    """Warnings for baselines that hold (nearly) the selected cells: comparing with them says little."""
    selected = pd.Index(reduction.selected)
    notes = []
    for name, label in (("quantiled", "Quantiled"), ("random", "the random subset")):
        baseline = reduction.subsets.get(name)
        if baseline is None or not len(selected):
            continue
        shared = len(selected.intersection(pd.Index(baseline)))
        if shared >= threshold * len(selected):
            notes.append(f"the selection is {shared / len(selected):.0%} the same cells as {label} ({shared:,} of "
                         f"{len(selected):,}): a comparison with it says little (e.g. variant=cq at a large budget "
                         "keeps the best cells by TF rank, which is Quantiled)")
    return notes


def short_of_n_notes(table: pd.DataFrame, budgets: Sequence[int]) -> list[str]:
    """Warnings for the best-of-N figures (N in ``budgets``) :func:`verdict_table` left out
    (:func:`short_of_n`)."""
    evaluated = table["evaluated"] if "evaluated" in table.columns else table["size"]
    notes = []
    for n, names in short_of_n(evaluated, budgets).items():
        listed = [SUBSET_NAMES[name] for name in names]
        listed = ", ".join(listed[:-1]) + " and " + listed[-1] if len(listed) > 1 else listed[0]
        counts = ", ".join(f"{int(evaluated[name]):,}" for name in names)
        its = "their" if len(names) > 1 else "its"
        notes.append(f"best-of-{n} is left out for {listed}: fewer than {n} cells with accuracy ({counts}), so "
                     f"{its} best is the best of all of them, not of {n}")
    return notes


def _constraint_notes(reduction, removals: Mapping[str, int]) -> list[str]:
    removed = int(reduction.excluded.get("constraints", 0))
    if not removed and not removals:
        return []
    n_space = len(reduction.archs) + removed + int(reduction.excluded.get("nan_statistics", 0))
    each = "; ".join(f"{name} removes {n:,} ({n / n_space:.1%})" for name, n in removals.items())
    n_selected = len(reduction.selected)
    return [
        f"the constraints removed {removed:,} of the {n_space:,} architectures of the space "
        f"({removed / n_space:.1%})" + (f" [{each}]" if each else "")
        + f"; the selection is {n_selected / len(reduction.archs):.2%} of the constrained space and "
        f"{n_selected / n_space:.2%} of the whole space"
    ]


def constraint_removals(constraints: Sequence, space, tf_table: pd.DataFrame) -> dict[str, int]:
    """Architectures of ``space`` each constraint removes on its own.

    Parameters
    ----------
    constraints : sequence of Constraint
    space : SearchSpace
    tf_table : DataFrame
        The TF-statistic table of the run (for constraints on its columns).
    """
    if not constraints:
        return {}
    from cbred.tables import align_table

    columns = [c.column for c in constraints if c.table is None]
    aligned = align_table(tf_table, space, columns) if columns else pd.DataFrame(index=pd.Index(space.ids))
    return {
        f"{c.column}" + (f" <= {c.max:g}" if c.max is not None else "") + (f" >= {c.min:g}" if c.min is not None else ""):
        int((~c.mask(space, aligned)).sum())
        for c in constraints
    }
