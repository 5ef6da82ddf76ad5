"""The one rule for a range of cluster counts K: no K above the points there are to cluster."""

from __future__ import annotations

from collections.abc import Iterable


def counts_above(ks: Iterable, n: int) -> list[int]:
    """The K of ``ks`` greater than ``n`` (sorted, as ints)."""
    return sorted(int(k) for k in ks if int(k) > n)


def check_cluster_counts(ks: Iterable, n: int, points: str, advice: str = "", name: str = "n_clusters") -> None:
    """Raise ``ValueError`` naming every K of ``ks`` greater than ``n``.

    ``points`` says what ``n`` counts, e.g. ``"the number of points to cluster (300)"``;
    ``advice`` (optional) what to do about it.
    """
    too_many = counts_above(ks, n)
    if too_many:
        raise ValueError(f"{name}={too_many} greater than {points}" + (f"; {advice}" if advice else ""))
