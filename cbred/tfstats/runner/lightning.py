"""The table of a run: what is pending, computed through Lightning's ``Trainer.predict``.

:func:`compute_table` reads the cache, lists the pending (architecture, statistics) items
(invariant statistics once per isomorphism class, on its first member in space order),
predicts them in a seeded random order over a dataset (:class:`StatisticsModule`), each
rank writing its own cache shard (:class:`~cbred.tfstats.runner.cache.ShardWriter`), then
rank 0 compacts the run's shards and assembles the table from the cache. One process, several CPU processes
(``processes=2``), several GPUs or nodes (``strategy="ddp"``, ``num_nodes``).

Several nodes: every node runs the same command with the same ``num_nodes`` and ``processes``,
started by ``torchrun`` or ``srun``; Lightning detects the launcher from its environment
(:class:`~lightning_fabric.plugins.environments.TorchElasticEnvironment`,
:class:`~lightning_fabric.plugins.environments.SLURMEnvironment`), which then gives every
process its rank and rendezvous. Each process lists the pending items itself, from the same
cache, before the process group exists (so before any rank writes); the cache directory must
therefore be one file system that every node sees. The ranks take rank 0's run id when
predicting starts (:class:`~cbred.tfstats.runner.cache.ShardWriter`), so that rank 0 compacts
every rank's shards.
"""

from __future__ import annotations

import platform
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytorch_lightning as pl
import torch
from pytorch_lightning.utilities.rank_zero import rank_zero_only
from torch.utils.data import DataLoader, Dataset

import cbred
from cbred.device import resolve_device
from cbred.spaces.space import SearchSpace
from cbred.tfstats.runner.cache import ShardWriter, cache_root, compact_cache, read_cache
from cbred.tfstats.runner.measure import evaluate
from cbred.tfstats.runner.plan import Plan, Probe, make_plan

class _PendingArchitectures(Dataset):
    def __init__(self, items: Sequence[tuple[str, tuple[str, ...]]]) -> None:
        self.items = list(items)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> tuple[str, tuple[str, ...]]:
        return self.items[index]


def _as_list(batch: list) -> list:
    return batch


class StatisticsModule(pl.LightningModule):
    """``predict_step``: the cache rows of a batch of ``(arch, statistic names)`` items."""

    def __init__(self, plan: Plan) -> None:
        super().__init__()
        self.plan = plan

    def on_predict_start(self) -> None:
        if self.device.type == "cpu":
            # Small networks gain nothing from intra-op threads, and on a busy machine
            # spinning threads cost several times the work: scale with processes instead.
            torch.set_num_threads(1)

    def predict_step(self, batch: list, batch_idx: int) -> list[dict]:
        rows: list[dict] = []
        with torch.enable_grad():  # Lightning predicts under no_grad; statistics need grads
            for arch, names in batch:
                rows.extend(evaluate(self.plan, arch, names, self.device))
        return rows


def representatives(space: SearchSpace, archs: Sequence[str]) -> pd.Series:
    """First member (in space order) of the isomorphism class of each arch, indexed by arch."""
    return space.representatives(archs).rename(None)


def compute_table(
    space: SearchSpace,
    statistics: Sequence[str] | None = None,
    *,
    probe: Probe,
    probes: Mapping[str, Probe] | None = None,
    archs: Sequence[str] | None = None,
    repeats: int = 3,
    seed: int = 0,
    device: str = "auto",
    processes: int = 1,
    num_nodes: int = 1,
    strategy: str = "auto",
    cache: str | Path | None = None,
    progress: bool = True,
    cached_only: bool = False,
) -> pd.DataFrame | None:
    """Table of statistics for ``archs`` of ``space`` (default: all), through the cache.

    Parameters
    ----------
    space : SearchSpace
    statistics : sequence of str, optional
        Names in :data:`cbred.tfstats.STATISTICS` (default: all).
    probe : Probe
        Network configuration, inputs and batch size of every statistic ...
    probes : mapping, optional
        ... except those given here (statistic name -> Probe).
    archs : sequence of str, optional
        Architectures of the table (default: the whole space).
    repeats : int, default=3
        Seeded repeats of stochastic statistics (repeat ``r``: seed ``seed + r``).
    seed : int, default=0
    device : str, default="auto"
        CUDA when present (see :func:`cbred.device.resolve_device`).
    processes : int, default=1
        Lightning devices per node (CPU processes or GPUs).
    num_nodes : int, default=1
    strategy : str, default="auto"
        Lightning strategy; with several processes ``"ddp"`` (re-runs the command, the
        command line's choice) or ``"ddp_spawn"`` (from Python).
    cache : path, optional
        Cache root (default ``$CBRED_CACHE/tfstats``).
    progress : bool, default=True
    cached_only : bool, default=False
        Compute nothing: the table of the architectures whose every statistic is in the
        cache already (a snapshot of a run in progress, e.g. a sample of a large space).

    Returns
    -------
    DataFrame or None
        Index ``arch``; columns ``<name>`` (mean), ``<name>_std``, ``<name>_error``;
        ``frame.attrs["tfstats"]``: the configuration (see :func:`describe`). Only the
        global-zero process returns the table; the other ranks of a multi-process run
        return ``None`` (their rows are in the cache, which rank 0 reads).
    """
    plan = make_plan(space, statistics, probe, probes, repeats, seed)
    archs = list(space.ids) if archs is None else space.check_ids(archs)
    reps = representatives(space, archs)
    needed = {
        s.name: (pd.unique(reps.to_numpy()) if s.invariant else np.asarray(archs))
        for s in plan.statistics
    }
    directory = cache_root(space, cache)
    directory.mkdir(parents=True, exist_ok=True)
    done = read_cache(directory, list(plan.keys.values()))
    done_pairs = set(zip(done["key"], done["arch"]))
    pending: dict[str, list[str]] = {}
    for name, units in needed.items():
        for arch in units:
            if (plan.keys[name], arch) not in done_pairs:
                pending.setdefault(arch, []).append(name)
    if cached_only:
        waiting = set(pending)
        complete = [a for a, r in zip(archs, reps.to_numpy()) if a not in waiting and r not in waiting]
        return _assemble(plan, done, complete, reps.loc[complete])
    # nothing to predict: no Trainer, so the rank is the one the launcher (torchrun, srun) gave
    is_zero = not rank_zero_only.rank
    if pending:
        items = _in_seeded_order(pending, plan.seed)
        is_zero = _predict(plan, items, directory, device, processes, num_nodes, strategy, progress)
    if not is_zero:
        return None
    compact_cache(directory, plan.run_id, plan.shard_header())
    rows = read_cache(directory, list(plan.keys.values()))
    return _assemble(plan, rows, archs, reps)


def _in_seeded_order(pending: Mapping[str, list[str]], seed: int) -> list[tuple[str, tuple[str, ...]]]:
    """Pending items in a seeded random order, not space order: the cache of an unfinished run
    then holds a uniform sample of the space, which ``cached_only`` snapshots can be measured on.
    """
    archs = sorted(pending)
    order = np.random.default_rng(seed).permutation(len(archs))
    return [(archs[i], tuple(pending[archs[i]])) for i in order]


def _predict(plan, items, directory, device, processes, num_nodes, strategy, progress) -> bool:
    resolved = resolve_device(device)
    trainer = pl.Trainer(
        accelerator="gpu" if resolved.type == "cuda" else resolved.type,
        devices=processes,
        num_nodes=num_nodes,
        strategy=strategy,
        logger=False,
        enable_checkpointing=False,
        enable_model_summary=False,
        inference_mode=False,
        enable_progress_bar=progress,
        callbacks=[ShardWriter(directory, plan.run_id, plan.shard_header())],
    )
    loader = DataLoader(_PendingArchitectures(items), batch_size=1, collate_fn=_as_list)
    trainer.predict(StatisticsModule(plan), dataloaders=loader, return_predictions=False)
    return trainer.is_global_zero


def _assemble(plan: Plan, rows: pd.DataFrame, archs: Sequence[str], reps: pd.Series) -> pd.DataFrame:
    index = pd.Index(archs, name="arch")
    columns: dict[str, pd.Series] = {}
    seconds = {}
    for stat in plan.statistics:
        mine = rows[rows["key"] == plan.keys[stat.name]].set_index("arch")
        source = reps.to_numpy() if stat.invariant else np.asarray(archs)
        picked = mine.reindex(source)
        columns[stat.name] = pd.Series(picked["mean"].to_numpy(dtype=float), index=index)
        columns[f"{stat.name}_std"] = pd.Series(picked["std"].to_numpy(dtype=float), index=index)
        columns[f"{stat.name}_error"] = pd.Series(picked["error"].to_numpy(dtype=object), index=index)
        seconds[stat.name] = float(mine["seconds"].mean()) if len(mine) else float("nan")
    names = [s.name for s in plan.statistics]
    order = names + [f"{n}_std" for n in names] + [f"{n}_error" for n in names]
    frame = pd.DataFrame(columns)[order]
    for name in names:  # missing text is None, not NaN, in the error columns
        frame[f"{name}_error"] = frame[f"{name}_error"].astype(object).where(
            frame[f"{name}_error"].notna(), None
        )
    frame.attrs["tfstats"] = describe(plan, len(archs), len(pd.unique(reps.to_numpy())), seconds)
    return frame


def describe(plan: Plan, n_archs: int, n_classes: int, seconds: Mapping[str, float]) -> dict[str, Any]:
    """Configuration of a table: recorded in its metadata."""
    return {
        "space": plan.space.name,
        "n_archs": n_archs,
        "n_isomorphism_classes": n_classes,
        "statistics": {
            s.name: {
                "probe": plan.probes[s.name].describe(),
                "repeats": plan.repeats[s.name],
                "higher_is_better": s.higher_is_better,
                "computed_per": "isomorphism class" if s.invariant else "architecture",
                "cache_key": plan.keys[s.name],
                "mean_seconds": seconds.get(s.name),
            }
            for s in plan.statistics
        },
        "seed": plan.seed,
        "versions": {
            "cbred": cbred.__version__,
            "python": platform.python_version(),
            "torch": torch.__version__,
            "numpy": np.__version__,
            "pytorch_lightning": pl.__version__,
        },
    }
