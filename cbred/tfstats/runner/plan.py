"""The plan of a run: statistics, probes and repeats resolved, and each statistic's cache key.

A :class:`Plan` is everything a rank needs to evaluate statistics (picklable, no state);
its keys name cache rows, so :func:`make_plan`'s key inputs, :data:`CACHE_VERSION` and
:data:`NETWORK_MODULES` must not change without intent: an existing cache stops matching.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cbred.cache import config_key, source_digest
from cbred.spaces.space import SearchSpace
from cbred.tfstats.images import ImageSource
from cbred.tfstats.registry import STATISTICS, Statistic

#: Bumped when a statistic's definition changes, so that old cache rows stop matching.
CACHE_VERSION = 1

#: The code a statistic's value depends on besides its own module: the networks it is measured
#: on, and the helpers and passes statistics share. Not the whole ``cbred.models`` package: an
#: edit of the graph encoder must not make every cached statistic stale.
NETWORK_MODULES = ("cbred.models.ops", "cbred.models.library", "cbred.models.cell_network", "cbred.models.nb101_net",
                   "cbred.models.darts_net", "cbred.tfstats._layers", "cbred.tfstats.passes")


@dataclass(frozen=True)
class Probe:
    """What a statistic is measured on: a network configuration, inputs, a batch size.

    Parameters
    ----------
    network : mapping
        Keyword arguments of :func:`cbred.models.build_network` (``C``, ``N``, ...), over the
        declaration's own ``network``.
    inputs : ImageSource
        Where input batches come from.
    batch_size : int
    """

    network: Mapping[str, Any]
    inputs: ImageSource
    batch_size: int = 64

    def __post_init__(self) -> None:
        if not isinstance(self.inputs, ImageSource):
            raise TypeError(f"probe inputs must be an ImageSource, got {type(self.inputs).__name__}")
        if not isinstance(self.batch_size, int) or self.batch_size < 1:
            raise ValueError(f"probe batch_size must be a positive integer, got {self.batch_size!r}")
        object.__setattr__(self, "network", dict(self.network))

    def describe(self) -> dict[str, Any]:
        """JSON description (recorded with results, part of the cache key)."""
        return {"network": dict(self.network), "inputs": self.inputs.describe(), "batch_size": self.batch_size}


@dataclass
class Plan:
    """Everything a rank needs to evaluate statistics: resolved, picklable, no state.

    ``run_id`` names the run's cache shards; in a multi-process run every rank names its
    shards after rank 0's (:class:`cbred.tfstats.runner.ShardWriter` broadcasts it).
    """

    space: SearchSpace
    statistics: tuple[Statistic, ...]
    probes: dict[str, Probe]
    repeats: dict[str, int]
    keys: dict[str, str]
    seed: int
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    key_inputs: dict[str, dict] = field(default_factory=dict)

    def shard_header(self) -> dict[str, Any]:
        """Header of this plan's cache shards: the inputs of every key they hold."""
        return {"keys": {self.keys[n]: inputs for n, inputs in self.key_inputs.items()}}


def make_plan(
    space: SearchSpace,
    statistics: Sequence[str] | None,
    probe: Probe,
    probes: Mapping[str, Probe] | None = None,
    repeats: int = 3,
    seed: int = 0,
) -> Plan:
    """Resolve names and probes, and derive each statistic's cache key.

    Raises
    ------
    UnknownNameError
        For an unknown statistic, in ``statistics`` or as a key of ``probes``, listing the
        choices.
    """
    names = list(STATISTICS.names() if statistics is None else statistics)
    if not names:
        raise ValueError("no statistic requested")
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise ValueError(f"statistics requested twice: {duplicated}")
    resolved = tuple(STATISTICS[n] for n in names)
    overrides = dict(probes or {})
    for name in overrides:
        STATISTICS[name]  # unknown override names are an error too
    repeats = check_count(repeats, "repeats")
    chosen = {s.name: overrides.get(s.name, probe) for s in resolved}
    counts = {s.name: repeats if s.stochastic else 1 for s in resolved}
    inputs = {
        s.name: {
            "space": space.name,
            # a changed operation set or network of a declared space is another measurement
            "declaration": space.declaration(),
            "statistic": s.name,
            "probe": chosen[s.name].describe(),
            "repeats": counts[s.name],
            "seed": int(seed),
            "version": CACHE_VERSION,
            # an edited statistic or network makes new keys: old rows are never read
            "code": source_digest(s.fn.__module__, *NETWORK_MODULES),
        }
        for s in resolved
    }
    keys = {name: config_key(value) for name, value in inputs.items()}
    return Plan(space, resolved, chosen, counts, keys, int(seed), key_inputs=inputs)


def check_count(value: Any, name: str, *, minimum: int = 1) -> int:
    """``value`` as an int of at least ``minimum``; ``ValueError`` naming option ``name`` otherwise.

    Booleans, fractions and text are rejected (``archs_limit=-5`` or ``repeats=1.5`` are
    mistakes, not requests).
    """
    valid = isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))
    if not valid or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)
