"""Compute a table of training-free statistics for a search space, resumably, at scale.

The runner

- evaluates every statistic once per isomorphism class (on the class's first member in
  space order) and broadcasts the value to every member; statistics whose entry says
  ``invariant=False`` (architecture costs) are evaluated for every architecture;
- averages each statistic over ``repeats`` seeded initialisations and input batches
  (repeat ``r`` uses seed ``seed + r`` for both), giving mean and standard deviation;
- writes every finished architecture at once to a parquet cache
  (``$CBRED_CACHE/tfstats/<space>/``, rows keyed by a hash of space, statistic, probe
  (network configuration, input source, batch size), repeats and seed, plus the
  architecture; the key includes the code version of the statistic and of the networks),
  atomically, so that a killed run restarted later loses no finished row and recomputes
  none; every file carries a header (key inputs, row count, checksum) and a file that
  fails it (truncated, altered, foreign) is reported, deleted and its rows recomputed;
- records a failing statistic as NaN plus the reason, and goes on;
- runs through Lightning's ``Trainer.predict`` over a dataset of pending architectures,
  each rank writing its own cache shard (:class:`ShardWriter`): one process, several CPU
  processes (``processes=2``), several GPUs or nodes (``strategy="ddp"``, ``num_nodes``).

Command line (Hydra; configurations in ``configs/tfstats_runner/``)::

    python -m cbred.tfstats.runner                       # configs/tfstats_runner/proxy.yaml
    python -m cbred.tfstats.runner --config-name full archs_limit=500
    python -m cbred.tfstats.runner output=cbred/resources/nb201_tfstats.parquet processes=2
"""

from __future__ import annotations

import os
import platform
import time
import traceback
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytorch_lightning as pl
import torch
from pytorch_lightning.callbacks import BasePredictionWriter
from torch.utils.data import DataLoader, Dataset

import cbred
from cbred.cache import config_key, discard, read_verified_parquet, source_digest, write_verified_parquet
from cbred.tfstats.images import ImageSource
from cbred.spaces.space import SearchSpace
from cbred.device import resolve_device
from cbred.models import build_network
from cbred.paths import cache_dir
from cbred.tfstats.network_cost import with_benchmark_costs
from cbred.tfstats.registry import STATISTICS, Statistic
from cbred.tfstats.table import write_table

#: Bumped when a statistic's definition changes, so that old cache rows stop matching.
CACHE_VERSION = 1
#: Rows per cache shard before a rank starts a new one (bounds the cost of a rewrite).
SHARD_ROWS = 2000
_RUN_ENV = "CBRED_TFSTATS_RUN"
_COLUMNS = ("key", "arch", "statistic", "mean", "std", "repeats", "error", "seconds")


@dataclass(frozen=True)
class Probe:
    """What a statistic is measured on: a network configuration, inputs, a batch size.

    Parameters
    ----------
    network : mapping
        Keyword arguments of :func:`cbred.models.build_network` (``C``, ``N``, ...).
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
    """Everything a rank needs to evaluate statistics: resolved, picklable, no state."""

    space: SearchSpace
    statistics: tuple[Statistic, ...]
    probes: dict[str, Probe]
    repeats: dict[str, int]
    keys: dict[str, str]
    seed: int
    run_id: str = field(default_factory=lambda: os.environ.get(_RUN_ENV) or uuid.uuid4().hex[:12])
    key_inputs: dict[str, dict] = field(default_factory=dict)

    def shard_header(self) -> dict[str, Any]:
        """Header of this plan's cache shards: the inputs of every key they hold."""
        return {"keys": {self.keys[n]: inputs for n, inputs in self.key_inputs.items()}}


#: The code a statistic's value depends on besides its own module: the networks it is measured
#: on. Not the whole ``cbred.models`` package: an edit of the graph encoder must not make every
#: cached statistic stale.
NETWORK_MODULES = ("cbred.models.ops", "cbred.models.nb201_net", "cbred.models.nb101_net", "cbred.tfstats._layers")


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


# -- evaluation of one architecture ---------------------------------------------------
def evaluate(plan: Plan, arch: str, names: Sequence[str], device: torch.device) -> list[dict]:
    """Cache rows of statistics ``names`` of architecture ``arch`` (failures become NaN + reason)."""
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
                network = build_network(plan.space.name, arch, space=plan.space, **probe.network)
                network = network.to(device)
                batch = probe.inputs.sample(probe.batch_size, plan.seed + r).to(device)
            except Exception as error:  # the whole group fails with the same reason
                for s in active:
                    errors[s.name] = f"repeat {r}: cannot build probe: {_reason(error)}"
                continue
            setup = (time.perf_counter() - start) / len(active)
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


# -- the cache --------------------------------------------------------------------------
def cache_root(space: SearchSpace, root: str | Path | None = None) -> Path:
    """Directory of the cache shards of ``space``."""
    base = Path(root) if root is not None else cache_dir() / "tfstats"
    return base / space.name


def read_shard(path: str | Path) -> pd.DataFrame | None:
    """The rows of one cache file, or ``None`` when it is unusable (reported and deleted).

    Unusable: unreadable or truncated, no header, checksum or row count mismatch
    (:func:`cbred.cache.read_verified_parquet`), or rows of keys whose inputs the header
    does not give. Its rows are then computed again by the next run.
    """
    result = read_verified_parquet(path)
    if result is None:
        return None
    frame, header = result
    described = {key for key, inputs in (header.get("keys") or {}).items() if config_key(inputs) == key}
    unknown = set(frame["key"]) - described if "key" in frame else {"(no key column)"}
    if unknown:
        discard(Path(path), f"holds rows of keys its header does not describe, e.g. {sorted(unknown)[:2]}")
        return None
    return frame


def read_cache(directory: str | Path, keys: Sequence[str] | None = None) -> pd.DataFrame:
    """Every cached row in ``directory`` (optionally only those of ``keys``), one per (key, arch).

    Unusable files are reported, deleted and left out (:func:`read_shard`).
    """
    for _ in range(10):
        try:
            frames = [read_shard(f) for f in sorted(Path(directory).glob("[!.]*.parquet"))]
            frames = [f for f in frames if f is not None]
            break
        except FileNotFoundError:  # compaction replaced shards by a run file meanwhile: list again
            continue
    else:
        raise RuntimeError(f"the TF-statistic cache {str(directory)!r} kept changing while being read")
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in _COLUMNS})
    rows = pd.concat(frames, ignore_index=True)
    if keys is not None:
        rows = rows[rows["key"].isin(list(keys))]
    # compaction may briefly leave a row in two files: identical, keep one
    return rows.drop_duplicates(["key", "arch"]).reset_index(drop=True)


def compact_cache(directory: str | Path, run_id: str, header: dict[str, Any]) -> Path | None:
    """Merge the shards of run ``run_id`` into one file (atomic write, then delete shards).

    ``header``: :meth:`Plan.shard_header` of the run.
    """
    shards = sorted(Path(directory).glob(f"shard-{run_id}-*.parquet"))
    frames = [f for f in map(read_shard, shards) if f is not None]
    if not frames:
        return None
    merged = pd.concat(frames, ignore_index=True)
    name = f"run-{run_id}-{uuid.uuid4().hex[:8]}.parquet"
    target = write_verified_parquet(merged, Path(directory) / name, header)
    for shard in shards:
        shard.unlink(missing_ok=True)
    return target


class ShardWriter(BasePredictionWriter):
    """Lightning callback: after every batch, rewrite this rank's current shard atomically.

    Shards are named ``shard-<run>-r<rank>-<part>.parquet``; a rank starts a new part every
    :data:`SHARD_ROWS` rows, so a rewrite never costs more than that.
    """

    def __init__(self, directory: str | Path, run_id: str, header: dict[str, Any] | None = None) -> None:
        super().__init__(write_interval="batch")
        self.directory = Path(directory)
        self.run_id = run_id
        self.header = header or {}
        self._rows: list[dict] = []
        self._part = 0

    def write_on_batch_end(
        self, trainer, pl_module, prediction, batch_indices, batch, batch_idx, dataloader_idx
    ) -> None:
        self._rows.extend(prediction)
        path = self.directory / f"shard-{self.run_id}-r{trainer.global_rank}-{self._part:05d}.parquet"
        write_verified_parquet(pd.DataFrame(self._rows, columns=list(_COLUMNS)), path, self.header)
        if len(self._rows) >= SHARD_ROWS:
            self._rows, self._part = [], self._part + 1

    def on_predict_end(self, trainer, pl_module) -> None:
        # every rank's shards are complete before rank 0 reads them
        trainer.strategy.barrier("tfstats-shards")


# -- Lightning ------------------------------------------------------------------------------
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


# -- the table ----------------------------------------------------------------------------
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
) -> pd.DataFrame:
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
    DataFrame
        Index ``arch``; columns ``<name>`` (mean), ``<name>_std``, ``<name>_error``;
        ``frame.attrs["tfstats"]``: the configuration (see :func:`describe`). Only the
        global-zero process returns the table; other ranks return ``None``.
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
    order = {a: i for i, a in enumerate(space.ids)} if len(pending) else {}
    items = [(a, tuple(n)) for a, n in sorted(pending.items(), key=lambda kv: order[kv[0]])]
    if cached_only:
        waiting = set(pending)
        complete = [a for a, r in zip(archs, reps.to_numpy()) if a not in waiting and r not in waiting]
        return _assemble(plan, done, complete, reps.loc[complete])
    is_zero = True
    if items:
        is_zero = _predict(plan, items, directory, device, processes, num_nodes, strategy, progress)
    if not is_zero:
        return None
    compact_cache(directory, plan.run_id, plan.shard_header())
    rows = read_cache(directory, list(plan.keys.values()))
    return _assemble(plan, rows, archs, reps)


def _predict(plan, items, directory, device, processes, num_nodes, strategy, progress) -> bool:
    # DDP children re-running the command name their shards after this run; the variable
    # must not outlive the call, or the next run of this process would reuse the id
    previous = os.environ.get(_RUN_ENV)
    os.environ[_RUN_ENV] = plan.run_id
    try:
        return _trainer_predict(plan, items, directory, device, processes, num_nodes, strategy, progress)
    finally:
        if previous is None:
            os.environ.pop(_RUN_ENV, None)
        else:
            os.environ[_RUN_ENV] = previous


def _trainer_predict(plan, items, directory, device, processes, num_nodes, strategy, progress) -> bool:
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


# -- command line ------------------------------------------------------------------------
def check_count(value: Any, name: str, *, minimum: int = 1) -> int:
    """``value`` as an int of at least ``minimum``; ``ValueError`` naming option ``name`` otherwise.

    Booleans, fractions and text are rejected (``archs_limit=-5`` or ``repeats=1.5`` are
    mistakes, not requests).
    """
    valid = isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))
    if not valid or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def run(cfg) -> dict[str, Any]:
    """Compute the table a config describes and write it to ``cfg.output`` (if set)."""
    from hydra.utils import instantiate

    counts = {
        name: check_count(cfg.get(name), name, minimum=minimum)
        for name, minimum in (("repeats", 1), ("processes", 1), ("num_nodes", 1), ("seed", 0))
    }
    limit = cfg.get("archs_limit")
    limit = None if limit is None else check_count(limit, "archs_limit", minimum=1)
    space = instantiate(cfg.space)
    probe = instantiate(cfg.probe)
    probes = {name: instantiate(p) for name, p in (cfg.get("probes") or {}).items()}
    archs = None
    if cfg.get("archs_file"):  # a sample of the space: ids one per line
        archs = [line.strip() for line in Path(cfg.archs_file).read_text().splitlines() if line.strip()]
        if not archs:
            raise ValueError(f"archs_file {cfg.archs_file} lists no architecture")
    if limit is not None:
        archs = (archs or list(space.ids))[:: max(1, len(archs or space.ids) // limit)][:limit]
    start = time.perf_counter()
    table = compute_table(
        space,
        list(cfg.statistics) if cfg.get("statistics") else None,
        probe=probe,
        probes=probes,
        archs=archs,
        device=cfg.device,
        strategy=cfg.strategy,
        cache=cfg.get("cache"),
        progress=bool(cfg.get("progress", True)),
        cached_only=bool(cfg.get("cached_only", False)),
        **counts,
    )
    if table is None:  # not the global-zero process
        return {}
    if cfg.get("benchmark_costs", False):  # params/flops of the benchmark's own network
        table = with_benchmark_costs(table, space)
    if cfg.get("output"):
        write_table(table, cfg.output, table.attrs["tfstats"])
    names = [n for n in table.attrs["tfstats"]["statistics"] if f"{n}_error" in table]
    return {
        "n_archs": len(table),
        "seconds": time.perf_counter() - start,
        "failed": {n: int(table[f"{n}_error"].notna().sum()) for n in names},
        "output": cfg.get("output"),
    }


def _main() -> None:
    import hydra

    from cbred.paths import register_config_resolvers

    register_config_resolvers()

    @hydra.main(version_base="1.3", config_path="../../configs/tfstats_runner", config_name="proxy")
    def main(cfg) -> None:
        from cbred.cli import run_cli

        metrics = run_cli(run, cfg, output_key=None)  # the table is written at the end, atomically
        if metrics:
            print(
                f"{metrics['n_archs']:,} architectures in {metrics['seconds']:.0f} s; "
                f"failures per statistic: {metrics['failed']}; table: {metrics['output']}"
            )

    main()


if __name__ == "__main__":
    _main()
