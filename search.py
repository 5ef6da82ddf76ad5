"""Search inside the reduced space: ``python search.py [overrides]``.

Does C-BRED make NAS converge faster? ``run(cfg)`` searches every sub-space of
``space_subset`` (full, reduced = C-BRED's selection, quantiled, random) with every
strategy of ``strategy`` (REA, random, local search) ``search.n_runs`` times, the
benchmark table as the oracle, and measures the queries needed to reach the full space's
top 1 % and 0.1 % and the best accuracy at fixed budgets. The reduction comes from a
``reduce.py`` run directory (``search.reduction_dir``) or is computed with the same config
groups as ``reduce.py``. The run directory receives ``search.csv`` (one row per query),
``metrics.json``, ``anytime.png``, ``queries.jsonl`` (the query log a rerun in the same
directory resumes from) and ``config.yaml``; the run is logged like ``reduce.py``'s.

With ``search.evaluator`` (a training function ``f(arch) -> float``, e.g. the stand-in
``cbred.search.standin:train``) the oracle is that function and no accuracy table is read:
the sub-spaces are ``full`` (every architecture of the space, drawn by ``space.draw``) and
``reduced`` (the reduction's region, :mod:`cbred.selection.region`: any architecture of the
space, listed or not, whose score reaches the selection's), so that a space too large to
list is searched too. Without the full table there are no targets: the metrics are the
best value found at fixed budgets (``search.csv`` has the best so far after every query).
``search.executor`` runs the function over a ``concurrent.futures`` executor, e.g. on the
workers of a Dask cluster (:mod:`cbred.search.cluster`), ``search.n_workers`` queries at a time.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hydra
import pandas as pd
from hydra.utils import instantiate
from omegaconf import DictConfig, ListConfig, OmegaConf

from cbred.api import check_config, group_options, load_inputs, reduce_from_config
from cbred.cache import atomic_write, json_safe
from cbred.cli import run_cli
from cbred.paths import register_config_resolvers
from cbred.rundir import verify_run_dir
from cbred.selection.budget import check_budget
from cbred.tables import load_accuracy, load_tf_table
from cbred.tfstats.runner.plan import check_count
from cbred.search import CallableEvaluator, Domain, QueryLog, SampledDomain, SearchDomain, TabularEvaluator
from cbred.search.analysis import CHECKPOINTS, target_thresholds
from cbred.search.evaluators import load_function
from cbred.search.experiment import compare_subsets, repeat_search
from cbred.search.plot import plot_anytime
from cbred.search.subsets import SUBSET_NAMES, random_subset, subset_size, subsets_from_reduction, subsets_from_run_dir
from cbred.tracking import start_tracking

register_config_resolvers()  # `${reference_file:...}` in configs

log = logging.getLogger("search")

#: The sub-spaces a training function searches (the others are lists of a table's cells).
OPEN_SUBSETS = ("full", "reduced")


def _names(value) -> list[str]:
    """A config value that is one name or a list of names, as a list."""
    return [str(v) for v in value] if isinstance(value, (list, tuple, ListConfig)) else [str(value)]


def load_subsets(cfg: DictConfig, space, accuracy: pd.Series) -> dict[str, pd.Index]:
    """The requested sub-spaces, each cut to the cells with accuracy (``full`` always included)."""
    names = _names(cfg.space_subset)  # known names (check_options)
    options = cfg.search
    own_random_size = options.subset_size is not None
    needs_reduction = bool({"reduced", "quantiled"} & set(names)) or ("random" in names and not own_random_size)
    if options.reduction_dir is not None:
        subsets = subsets_from_run_dir(options.reduction_dir, random_state=cfg.seed)
    elif needs_reduction:
        subsets = subsets_from_reduction(reduce_from_config(cfg, space).subsets)
    else:
        subsets = {"full": pd.Index(accuracy.index, name="arch")}
    universe = subsets["full"].intersection(accuracy.dropna().index, sort=False)
    if own_random_size:
        n_selected = len(subsets["reduced"]) if "reduced" in subsets else None
        size = subset_size(options.subset_size, n_full=len(universe), n_selected=n_selected)
        subsets["random"] = random_subset(universe, size, random_state=cfg.seed)
    chosen = {"full": universe}
    for name in names:
        chosen[name] = subsets[name].intersection(universe, sort=False)
        if len(chosen[name]) == 0:
            raise ValueError(f"sub-space {name!r} has no architecture with accuracy")
    return chosen


@dataclass
class Oracle:
    """What the searches of one run share: their domains, evaluator and targets.

    Attributes
    ----------
    domains : dict of str to Domain
        The sub-space of every name of ``space_subset``, in order.
    make_evaluator : callable
        A fresh evaluator per run.
    thresholds : dict of str to float
        Target accuracy by name (none without the full table).
    facts : dict
        Metrics of the sub-spaces (sizes, targets they hold, the region's threshold).
    metric : str
        What the oracle answers (the figure's axis).
    cost : bool
        Whether queries have a cost (``search.csv`` gets a ``cost`` column).
    executor : concurrent.futures.Executor, optional
        What the training function runs on (``search.executor``); shut down after the searches.
    """

    domains: dict[str, Domain]
    make_evaluator: Callable[[], Any]
    thresholds: dict[str, float] = field(default_factory=dict)
    facts: dict = field(default_factory=dict)
    metric: str = "accuracy"
    cost: bool = False
    executor: Any = None


def table_oracle(cfg: DictConfig) -> Oracle:
    """The benchmark table as the oracle: listed sub-spaces inside the cells with accuracy."""
    if cfg.search.get("executor") is not None:
        raise ValueError("search.executor runs a training function (search.evaluator=module:function); "
                         "a benchmark table answers at once, in this process")
    if cfg.benchmark.path is None:
        raise ValueError("search.py needs an oracle: an accuracy table (benchmark=nb201_cifar10, or "
                         "benchmark.path=FILE benchmark.metric=COLUMN) or a training function "
                         "(search.evaluator=module:function, e.g. cbred.search.standin:train)")
    space, accuracy = load_inputs(cfg)
    cost_column = cfg.benchmark.get("cost")
    cost = None if cost_column is None else load_accuracy(
        cfg.benchmark.path, space, cost_column, duplicates=cfg.benchmark.duplicates)
    subsets = load_subsets(cfg, space, accuracy)
    universe = subsets["full"]
    oracle = accuracy.loc[universe]
    thresholds = target_thresholds(oracle)
    facts = {
        **{f"{name}/size": len(subsets[name]) for name in subsets},
        **{f"threshold/{name}": value for name, value in thresholds.items()},
        # how many of the full space's target cells each sub-space holds (0: every run is censored)
        **{f"{name}/n_{target}": int((oracle.loc[subsets[name]] >= value).sum())
           for name in subsets for target, value in thresholds.items()},
    }
    return Oracle(
        domains={name: SearchDomain(space=space, members=subsets[name], universe=universe)
                 for name in _names(cfg.space_subset)},
        make_evaluator=lambda: TabularEvaluator(accuracy=oracle, cost=cost),
        thresholds=thresholds, facts=facts, metric=cfg.benchmark.metric, cost=cost is not None,
    )


def training_oracle(cfg: DictConfig) -> Oracle:
    """A training function as the oracle: the whole space and the reduction's region.

    No accuracy table is read, so there are no targets; the reduction is computed here (a
    space too large to list is reduced on the sample its TF table covers,
    :func:`cbred.api.load_inputs`).
    """
    if cfg.benchmark.path is not None:
        raise ValueError(f"search.evaluator and benchmark.path ({cfg.benchmark.path}) are two oracles; choose one "
                         "(benchmark=none with search.evaluator)")
    names = _names(cfg.space_subset)
    refused = [name for name in names if name not in OPEN_SUBSETS]
    if refused:
        raise ValueError(f"space_subset: {refused} cannot be searched with search.evaluator (sub-spaces: "
                         f"{', '.join(OPEN_SUBSETS)}; the others are lists of an accuracy table's cells)")
    if cfg.search.reduction_dir is not None:
        raise ValueError("search.reduction_dir holds a listed selection, not the reduction's region that "
                         "search.evaluator searches; leave it null (the reduction is computed here)")
    function = evaluator_function(cfg.search.evaluator)
    space = instantiate(cfg.space)
    reduction = None
    if "reduced" in names:
        tf_table = load_tf_table(cfg.tfstats.path, duplicates=cfg.tfstats.duplicates, space=space)  # read once
        reduction = reduce_from_config(cfg, load_inputs(cfg, space, tf_table=tf_table)[0], tf_table=tf_table)
    facts = {} if reduction is None else {
        "reduced/n_listed": len(reduction.archs), "reduced/n_selected": len(reduction.selected),
        "reduced/threshold": reduction.region.threshold,
    }
    # full: every architecture of the space; reduced: the members of the reduction's region
    contains = {"full": None, "reduced": None if reduction is None else reduction.contains_many}
    domains: dict[str, Domain] = {
        name: SampledDomain(space=space, contains=contains[name], name={"full": "space", "reduced": "region"}[name])
        for name in names
    }
    label = getattr(function, "__name__", type(function).__name__)
    # made last, once the options are known good: a cluster executor connects (or starts workers)
    executor = None if cfg.search.get("executor") is None else instantiate(cfg.search.executor)
    return Oracle(domains=domains, make_evaluator=lambda: CallableEvaluator(function=function, executor=executor),
                  facts=facts, metric=f"{label} (search.evaluator)", cost=True, executor=executor)


def evaluator_function(value) -> Callable[[str], float]:
    """The training function ``search.evaluator`` names: ``module:function`` or a ``_target_`` config.

    A ``_target_`` config must instantiate to a callable: a function with
    ``_partial_: true``, or an object with ``__call__``.

    Raises
    ------
    ValueError
        Naming the value: a path that does not resolve, a config that fails or is not callable.
    """
    if not isinstance(value, (dict, DictConfig)):
        return load_function(value)
    target = value.get("_target_")
    try:
        function = instantiate(value)
    except Exception as error:  # noqa: BLE001  (any failure of the user's config, with its cause)
        raise ValueError(f"search.evaluator: instantiating {target!r} failed ({error}); a function needs "
                         "`_partial_: true`") from error
    if not callable(function):
        raise ValueError(f"search.evaluator: {target!r} gave a {type(function).__name__}, not a callable "
                         "(a function needs `_partial_: true`)")
    return function


def check_options(cfg: DictConfig) -> None:
    """The search's own options and the reduction it reads, before any work; ``ValueError``
    (or ``FileNotFoundError``) naming the option or the file."""
    check_config(cfg)
    for name in ("n_runs", "budget", "n_workers"):
        check_count(cfg.search.get(name), f"search.{name}")
    names = _names(cfg.get("space_subset") or [])
    if not names:
        raise ValueError(f"space_subset is empty: name the sub-spaces to search, e.g. space_subset=[full,reduced] "
                         f"(choices: {', '.join(SUBSET_NAMES)})")
    unknown = [name for name in names if name not in SUBSET_NAMES]
    if unknown:
        raise ValueError(f"space_subset: unknown sub-space(s) {unknown} (choices: {', '.join(SUBSET_NAMES)})")
    if not cfg.get("strategy"):
        strategies = ", ".join(name for name in group_options("strategy") if not name.startswith("_"))
        raise ValueError("strategy is empty: choose the search strategies, e.g. strategy=[rea,random] "
                         f"(configs/strategy: {strategies})")
    if cfg.search.get("subset_size") is not None:
        check_budget(cfg.search.subset_size, option="search.subset_size")  # its size against the space's: later
    if cfg.search.get("reduction_dir") is not None and cfg.search.get("evaluator") is None:
        verify_run_dir(cfg.search.reduction_dir)
    check_resumable(cfg)


def check_resumable(cfg: DictConfig) -> None:
    """``ValueError`` when ``output_dir`` holds a finished search with another seed.

    Its query log holds the draws of that seed, which the new search would reach only after
    loading everything, to fail at its first query. A search killed before its end (a log
    but no ``config.yaml``) is checked query by query as it resumes.
    """
    if cfg.search.get("log") is None:
        return
    output_dir = Path(cfg.output_dir)
    saved = output_dir / "config.yaml"
    if not (output_dir / cfg.search.log).is_file() or not saved.is_file():
        return
    seed = OmegaConf.load(saved).get("seed")
    if seed != cfg.seed:
        raise ValueError(f"output_dir={output_dir} holds a search with seed={seed} (its config.yaml), whose query "
                         f"log cannot replay seed={cfg.seed}: rerun with seed={seed}, or choose another "
                         "directory (hydra.run.dir=... or output_dir=...)")


def run(cfg: DictConfig) -> dict:
    """Search every sub-space with every strategy, write the run directory, log it; return the metrics."""
    check_options(cfg)
    oracle = (table_oracle if cfg.search.get("evaluator") is None else training_oracle)(cfg)
    options = cfg.search
    output_dir = Path(cfg.output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    query_log = None if options.log is None else QueryLog(output_dir / options.log, key_fields=("subset", "strategy", "run"))

    tables = []
    with query_log if query_log is not None else nullcontext(), oracle.executor or nullcontext():
        for subset, domain in oracle.domains.items():
            for name, strategy_cfg in cfg.strategy.items():
                tables.append(repeat_search(
                    instantiate(strategy_cfg), domain, oracle.make_evaluator,
                    n_runs=options.n_runs, budget=options.budget, seed=cfg.seed, n_workers=options.n_workers,
                    log=query_log, key={"subset": subset, "strategy": name},
                ))
    table = pd.concat(tables, ignore_index=True)
    metrics, curves = compare_subsets(table, oracle.thresholds, budget=options.budget, n_boot=options.n_boot,
                                      random_state=cfg.seed)
    metrics = {**oracle.facts, **metrics}
    strict = json_safe(metrics)

    columns = ["subset", "strategy", "run", "query", "arch", "accuracy", "best_so_far"]
    if oracle.cost:
        columns.append("cost")
    atomic_write(output_dir / "search.csv", lambda tmp: table[columns].to_csv(tmp, index=False))
    text = json.dumps(strict, indent=2, allow_nan=False)
    atomic_write(output_dir / "metrics.json", lambda tmp: tmp.write_text(text + "\n"))
    OmegaConf.save(cfg, output_dir / "config.yaml", resolve=True)
    figures = {}
    if cfg.plots.enabled:
        # REA's initial population is random search's draws: the figure marks those queries
        shared = {name: instantiate(strategy_cfg).shared_random_draws for name, strategy_cfg in cfg.strategy.items()}
        figures["anytime"] = plot_anytime(curves, output_dir / "anytime.png", thresholds=oracle.thresholds,
                                          metric=oracle.metric, shared_draws=shared)
    with start_tracking(cfg, job_type="search") as tracker:
        tracker.log_metrics(strict)
        tracker.log_table("search_summary", summary_table(strict))
        tracker.log_images(figures)
    log.info("%s\noutputs: %s", format_summary(metrics), output_dir)
    return strict


def summary_table(metrics: dict) -> pd.DataFrame:
    """One row per (sub-space, strategy): the metrics of ``metrics`` side by side."""
    rows: dict[tuple[str, str], dict] = {}
    for key, value in metrics.items():
        parts = key.split("/")
        if len(parts) == 3 and parts[0] in SUBSET_NAMES:
            rows.setdefault((parts[0], parts[1]), {})[parts[2]] = value
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index = pd.MultiIndex.from_tuples(frame.index, names=["subset", "strategy"])
    return frame


def _number(value, suffix: str = "", missing: str = "n/a") -> str:
    """``value`` for the terminal; ``missing`` for None (a non-finite value in strict JSON)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return missing
    return "inf" if math.isinf(value) else f"{value:.3g}{suffix}"


def format_summary(metrics: dict) -> str:
    """Queries to top 1 % / 0.1 % per sub-space and strategy, then the speed-ups.

    Without targets (a training function as the oracle): the best value found at the
    checkpoints instead.
    """
    if not any(key.startswith("threshold/") for key in metrics):
        return format_best(metrics)

    def median(prefix: str, target: str) -> str:
        value, low, high = (metrics.get(f"{prefix}/queries_to_{target}_{s}") for s in ("median", "low", "high"))
        reached = metrics.get(f"{prefix}/queries_to_{target}_reached", 0.0)
        # a median of queries is never NaN: None means inf (censored runs)
        shown = [_number(v, missing="inf") for v in (value, low, high)]
        return f"{shown[0]} [{shown[1]}, {shown[2]}] ({reached:.0%} reached)"

    lines = ["median queries to the full space's top 1% / top 0.1% "
             "(95% bootstrap interval; share of runs that reached it within the budget):"]
    for subset, strategy in summary_table(metrics).index:
        prefix = f"{subset}/{strategy}"
        lines.append(f"  {prefix:<20} top 1%: {median(prefix, 'top1pct'):<32} top 0.1%: {median(prefix, 'top01pct')}")
    lines.append("speed-up = median queries in full / in the sub-space (95% bootstrap interval):")
    for key, value in metrics.items():
        if key.startswith("speedup/") and not key.endswith(("_low", "_high")):
            low, high = metrics.get(f"{key}_low"), metrics.get(f"{key}_high")
            lines.append(f"  {key.removeprefix('speedup/'):<28} {_number(value, 'x')} [{_number(low, 'x')}, {_number(high, 'x')}]")
    return "\n".join(lines)


def format_best(metrics: dict) -> str:
    """Mean best value found after each checkpoint's queries, per sub-space and strategy."""
    lines = ["best value found so far (mean over runs) after N queries:"]
    for subset, strategy in summary_table(metrics).index:
        prefix = f"{subset}/{strategy}"
        values = [f"{n}: {_number(metrics[f'{prefix}/best_at_{n}'])}" for n in CHECKPOINTS
                  if f"{prefix}/best_at_{n}" in metrics]
        values.append(f"final: {_number(metrics.get(f'{prefix}/best_final'))}")
        lines.append(f"  {prefix:<20} " + "  ".join(values))
    return "\n".join(lines)


@hydra.main(version_base="1.3", config_path="configs", config_name="search")
def main(cfg: DictConfig) -> None:
    run_cli(run, cfg)


if __name__ == "__main__":
    main()
