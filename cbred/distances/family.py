"""The family of a distance: ``learned`` (a trained graph encoder) or ``handcrafted``.

Dashboards and reports set the two families side by side (the W&B runs of ``reduce.py``
and of the selection harness carry it as config ``family`` and as a tag; the sweep report
groups its rows by it). Read from the distance's ``_target_`` alone: no class is imported.
"""

from __future__ import annotations

from collections.abc import Mapping

#: Distances defined in this package are learned ones.
LEARNED_PACKAGE = "cbred.learned."
#: The families, in the order reports show them.
FAMILIES = ("learned", "handcrafted")


def distance_family(target: str | None) -> str | None:
    """``learned`` for a distance class of :mod:`cbred.learned`, ``handcrafted`` for any other,
    None without a target."""
    if not target:
        return None
    return FAMILIES[0] if str(target).startswith(LEARNED_PACKAGE) else FAMILIES[1]


def config_family(config: Mapping | None) -> str | None:
    """The family of the ``distance`` of a run's config (None when it has none)."""
    distance = config.get("distance") if isinstance(config, Mapping) else None
    return distance_family(distance.get("_target_") if isinstance(distance, Mapping) else None)
