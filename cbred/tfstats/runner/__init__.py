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
  processes (``processes=2``), several GPUs or nodes (``strategy="ddp"``, ``num_nodes``; every
  node runs the command, started by ``torchrun`` or ``srun``, over one shared cache directory).

One job per module:

================ ===================================================================
``plan``         :class:`Probe`, :class:`Plan`, :func:`make_plan` (cache keys)
``measure``      :func:`evaluate`: the rows of one architecture
``cache``        the parquet shards: :func:`read_cache`, :func:`compact_cache`,
                 :class:`ShardWriter`
``lightning``    :func:`compute_table`: pending items through ``Trainer.predict``,
                 the table assembled from the cache
``command``      :func:`run`: a Hydra configuration to a table file
``__main__``     the command line
================ ===================================================================

Command line (Hydra; configurations in ``configs/tfstats_runner/``)::

    python -m cbred.tfstats.runner                       # configs/tfstats_runner/proxy.yaml
    python -m cbred.tfstats.runner --config-name full archs_limit=500
    python -m cbred.tfstats.runner output=cbred/resources/nb201_tfstats.parquet processes=2
"""

from cbred.tfstats.runner.cache import SHARD_ROWS, ShardWriter, cache_root, compact_cache, read_cache, read_shard
from cbred.tfstats.runner.command import run
from cbred.tfstats.runner.lightning import StatisticsModule, compute_table, describe, representatives
from cbred.tfstats.runner.measure import evaluate
from cbred.tfstats.runner.plan import CACHE_VERSION, NETWORK_MODULES, Plan, Probe, check_count, make_plan

__all__ = [
    "CACHE_VERSION",
    "NETWORK_MODULES",
    "SHARD_ROWS",
    "Plan",
    "Probe",
    "ShardWriter",
    "StatisticsModule",
    "cache_root",
    "check_count",
    "compact_cache",
    "compute_table",
    "describe",
    "evaluate",
    "make_plan",
    "read_cache",
    "read_shard",
    "representatives",
    "run",
]
