"""``tfstats.sampling``: the TF table a run reads, or the one its budget buys.

With ``tfstats.sampling=null`` the table at ``tfstats.path`` (or the space's shipped one) is
read. With ``uniform`` or ``active`` the sampler of ``tfstats.samplers`` spends
``tfstats.budget`` (classes) or ``tfstats.budget_seconds`` on measurements made by
``tfstats.measure``: the runner configuration ``measure.runner`` (its cache makes a rerun of
the same seeded loop free), or, with ``measure.runner=null``, the statistics revealed from the
table at ``tfstats.path`` (to study a budget on a finished table).
"""

from __future__ import annotations

import functools
from pathlib import Path

import pandas as pd
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from cbred.cache import atomic_write
from cbred.paths import PROJECT_ROOT
from cbred.sampling.base import TFSampler
from cbred.sampling.measured import sample_statistics
from cbred.sampling.oracle import TableOracle
from cbred.spaces.space import SearchSpace
from cbred.tables import load_tf_table


@functools.cache
def shipped_samplers() -> DictConfig:
    """The samplers of ``configs/tfstats/default.yaml``, by name."""
    return OmegaConf.load(PROJECT_ROOT / "configs" / "tfstats" / "default.yaml").samplers


def sampling_of(cfg: DictConfig) -> str | None:
    """The sampler ``tfstats.sampling`` names (None: read a table); ``ValueError`` for an unknown one."""
    name = cfg.tfstats.get("sampling")
    samplers = cfg.tfstats.get("samplers") or {}
    if name is not None and name not in samplers:
        raise ValueError(f"tfstats.sampling={name!r} is not a sampler of tfstats.samplers "
                         f"(choices: {', '.join(samplers)}, or null to read the table)")
    if name is not None and cfg.tfstats.get("budget") is None and cfg.tfstats.get("budget_seconds") is None:
        raise ValueError(f"tfstats.sampling={name} needs tfstats.budget (a fraction of the isomorphism classes "
                         "or a number of them) or tfstats.budget_seconds")
    return name


def samples_uniformly(cfg) -> bool:
    """Whether the TF table of a run with config ``cfg`` is a uniform sample (or the whole
    table): what its sampler's class says (:attr:`TFSampler.uniform`)."""
    from hydra.utils import get_class

    name = OmegaConf.select(cfg, "tfstats.sampling")
    if name is None:
        return True
    # a config that does not record its samplers names one of the shipped ones
    target = OmegaConf.select(cfg, f"tfstats.samplers.{name}._target_") or shipped_samplers()[name]._target_
    return get_class(target).uniform


def tf_table_from_config(cfg: DictConfig, space: SearchSpace) -> tuple[pd.DataFrame, TFSampler | None]:
    """The run's TF table and, when it was measured under a budget, the fitted sampler."""
    name = sampling_of(cfg)
    if name is None:
        return load_tf_table(cfg.tfstats.path, duplicates=cfg.tfstats.duplicates, space=space), None
    if not space.enumerable:
        if cfg.tfstats.get("pool") is None:
            raise ValueError(f"tfstats.sampling on {space.name}, a space too large to list, needs tfstats.pool: "
                             "the number of cells drawn uniformly (seed `seed`) to choose the measured ones from")
        from cbred.spaces.sample import SpaceSample

        space = SpaceSample.drawn(space, int(cfg.tfstats.pool), random_state=cfg.seed)
    statistics = list(cfg.tfstats.statistics)
    runner = cfg.tfstats.measure.get("runner")
    if runner is None:
        measure = TableOracle(load_tf_table(cfg.tfstats.path, duplicates=cfg.tfstats.duplicates, space=space))
    else:
        from cbred.tfstats.runner.on_demand import OnDemand

        measure = OnDemand.from_runner_config(str(runner), space=space, statistics=statistics,
                                              overrides=list(cfg.tfstats.measure.get("overrides") or []))
    return sample_statistics(
        space, instantiate(cfg.distance), instantiate(cfg.tfstats.samplers[name]), measure,
        statistics=statistics, directions=OmegaConf.to_container(cfg.tfstats.directions),
        aggregate=instantiate(cfg.tfstats.aggregate) if cfg.tfstats.get("aggregate") else None,
        dedup=cfg.dedup, representation=OmegaConf.to_container(cfg.representation), random_state=cfg.seed,
    )


def write_measured(table: pd.DataFrame, sampler: TFSampler, directory) -> dict:
    """``tf_measured.parquet`` (the measured statistics, a table ``tfstats.path`` reads) and
    ``tf_sampling.csv`` (one row per batch) in ``directory``."""
    files = {"tf_measured": Path(directory) / "tf_measured.parquet", "tf_sampling": Path(directory) / "tf_sampling.csv"}
    atomic_write(files["tf_measured"], lambda tmp: table.to_parquet(tmp))
    atomic_write(files["tf_sampling"], lambda tmp: sampler.rounds_.to_csv(tmp, index=False))
    return files
