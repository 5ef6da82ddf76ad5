"""Measurement of one architecture: the cache rows of its statistics under a plan.

Stochastic statistics are averaged over the plan's repeats (repeat ``r``: seed
``seed + r`` for the initialisation and the input batch); a failing statistic becomes NaN
plus the reason, and the others go on. The statistics of one probe and repeat are measured on
one network and batch, and share their forward pass (:mod:`cbred.tfstats.passes`).
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Sequence
from contextlib import nullcontext
from pathlib import Path

import numpy as np
import torch

from cbred.models import build_network
from cbred.tfstats.passes import sharing
from cbred.tfstats.registry import Statistic
from cbred.tfstats.runner.plan import Plan


def evaluate(plan: Plan, arch: str, names: Sequence[str], device: torch.device, *, shared: bool = True) -> list[dict]:
    """Cache rows of statistics ``names`` of architecture ``arch`` (failures become NaN + reason).

    ``shared=False`` runs every statistic's passes on its own (:class:`cbred.tfstats.passes.SeparatePasses`):
    the reference the shared evaluation is tested and timed against. Timing: the seconds of a
    shared pass go to the statistic that asks for it first.
    """
    by_probe: dict[int, list[Statistic]] = {}
    for stat in plan.statistics:
        if stat.name in names:
            by_probe.setdefault(id(plan.probes[stat.name]), []).append(stat)
    values: dict[str, list[float]] = {n: [] for n in names}
    errors: dict[str, str] = {}
    seconds: dict[str, float] = {n: 0.0 for n in names}
    for group in by_probe.values():
        probe = plan.probes[group[0].name]
        for r in range(max(plan.repeats[s.name] for s in group)):
            active = [s for s in group if r < plan.repeats[s.name] and s.name not in errors]
            if not active:
                break
            start = time.perf_counter()
            try:
                torch.manual_seed(plan.seed + r)
                network = build_network(plan.space, arch, **probe.network)
                network = network.to(device)
                batch = probe.inputs.sample(probe.batch_size, plan.seed + r).to(device)
            except Exception as error:  # the whole group fails with the same reason
                for s in active:
                    errors[s.name] = f"repeat {r}: cannot build probe: {_reason(error)}"
                continue
            setup = (time.perf_counter() - start) / len(active)
            # one statistic shares with nobody: its own pass records only what it reads
            with sharing(network, batch) if shared and len(active) > 1 else nullcontext():
                for s in active:
                    start = time.perf_counter()
                    try:
                        values[s.name].append(float(s.fn(network, batch)))
                    except Exception as error:
                        errors[s.name] = f"repeat {r}: {_reason(error)}"
                    seconds[s.name] += setup + time.perf_counter() - start
    stochastic = {s.name: s.stochastic for s in plan.statistics}  # the plan's own entries
    rows = []
    for name in names:
        ok = np.asarray(values[name], dtype=float)
        failed = name in errors
        rows.append(
            {
                "key": plan.keys[name],
                "arch": arch,
                "statistic": name,
                "mean": np.nan if failed else float(ok.mean()),
                "std": np.nan if failed else _spread(ok, stochastic[name]),
                "repeats": len(ok),
                "error": errors.get(name),
                "seconds": seconds[name],
            }
        )
    return rows


def _spread(values: np.ndarray, stochastic: bool) -> float:
    """Standard deviation over repeats: 0 for a deterministic statistic, NaN from one repeat."""
    if not stochastic:
        return 0.0
    return float(values.std(ddof=1)) if len(values) > 1 else float("nan")


def _reason(error: BaseException) -> str:
    frame = traceback.extract_tb(error.__traceback__)[-1] if error.__traceback__ else None
    where = f" ({Path(frame.filename).name}:{frame.lineno})" if frame else ""
    return f"{type(error).__name__}: {error}{where}"
