"""The parquet cache of statistic rows: one directory per space, files written atomically.

Files (``$CBRED_CACHE/tfstats/<space>/``):

- ``shard-<run>-r<rank>-<part>.parquet``: written by rank ``rank`` of run ``run`` while it
  computes (:class:`ShardWriter`, rewritten after every batch);
- ``run-<run>-<uuid8>.parquet``: a finished run's shards merged (:func:`compact_cache`).

Rows are keyed by the statistic's cache key (:func:`cbred.tfstats.runner.make_plan`) and
the architecture. Every file carries a header (the inputs of the keys it holds, row count,
checksum; :func:`cbred.cache.write_verified_parquet`); a file that fails it is reported,
deleted and its rows recomputed.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from pytorch_lightning.callbacks import BasePredictionWriter

from cbred.cache import config_key, discard, read_verified_parquet, write_verified_parquet
from cbred.paths import cache_dir
from cbred.spaces.space import SearchSpace

#: Rows per cache shard before a rank starts a new one (bounds the cost of a rewrite).
SHARD_ROWS = 2000
_COLUMNS = ("key", "arch", "statistic", "mean", "std", "repeats", "error", "seconds")


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

    Shards are named ``shard-<run>-r<rank>-<part>.parquet``, ``<run>`` being rank 0's run id
    on every rank (broadcast at ``setup``); a rank starts a new part every :data:`SHARD_ROWS`
    rows, so a rewrite never costs more than that.
    """

    def __init__(self, directory: str | Path, run_id: str, header: dict[str, Any] | None = None) -> None:
        super().__init__(write_interval="batch")
        self.directory = Path(directory)
        self.run_id = run_id
        self.header = header or {}
        self._rows: list[dict] = []
        self._part = 0

    def setup(self, trainer, pl_module, stage: str) -> None:
        # Ranks started outside this process (torchrun, srun, or Lightning's launcher running
        # the command again) each made their own plan and run id: all name their shards after
        # rank 0's run, the one rank 0 compacts. The process group is up by now.
        self.run_id = trainer.strategy.broadcast(self.run_id, src=0)

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
