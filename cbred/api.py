"""C-BRED in one call, with the command line's defaults.

:func:`reduce` composes the same Hydra configs as ``python reduce.py`` (``configs/reduce.yaml``
and its groups), so that a notebook gets the command line's results::

    import cbred

    reduction = cbred.reduce("nb201", benchmark="nb201_cifar10")
    reduction.selected                      # the selected architecture ids
    cbred.reduce("nb201", distance="hellinger", budget=0.05)
    cbred.reduce("nb201", selection="cluster_union", clustering="agglomerative", variant="qc")
    cbred.reduce("nb201", overrides=["selection.base.n_neighbors=20"])
    cbred.reduce(EdgeCellSpace(name="mine", operations=[...]), overrides=["tfstats.path=FILE"])

:func:`compose` returns the config itself, :func:`load_inputs` the space and the accuracy it
names and :func:`reduce_from_config` the reduction of a config: the three steps of
:func:`reduce`, for a caller that also wants the space (figures, export).
"""

from __future__ import annotations

import json
import numbers
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd
from hydra import compose as hydra_compose
from hydra import initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from cbred.evaluation import check_budgets
from cbred.spaces.sample import SpaceSample
from cbred.spaces.space import SearchSpace
from cbred.paths import PROJECT_ROOT, register_config_resolvers
from cbred.pipeline import Reduction, reduce_space
from cbred.sampling.from_config import samples_uniformly, tf_table_from_config
from cbred.tables import load_accuracy, load_tf_table
from cbred.selection import constraints_from_config
from cbred.selection.budget import check_budget

#: The configs ``reduce.py`` composes.
CONFIG_DIR = PROJECT_ROOT / "configs"
#: Config groups a keyword of :func:`compose` chooses (``distance="hellinger"``).
GROUPS = ("distance", "clustering", "selection", "variant", "constraints", "tfstats", "benchmark", "experiment")
#: The override that reads a file of the user's instead of a group's config, by group.
FILE_OPTIONS = {
    "benchmark": "overrides=['benchmark.path=FILE', 'benchmark.metric=COLUMN']",
    "tfstats": "overrides=['tfstats.path=FILE']",
    "space": "a declaration (a mapping with '_target_', the content of a space YAML)",
}
#: The largest seed numpy and scikit-learn take.
MAX_SEED = 2**32 - 1


def check_seed(seed, option: str = "seed") -> None:
    """``ValueError`` unless ``seed`` is null or an integer numpy can seed with."""
    valid = seed is None or (isinstance(seed, numbers.Integral) and not isinstance(seed, bool) and 0 <= seed <= MAX_SEED)
    if not valid:
        raise ValueError(f"{option} must be an integer in [0, {MAX_SEED}] (or null), got {seed!r}")


def check_config(cfg: DictConfig) -> None:
    """The options of a composed config that need no data: the budget, the seed and the
    best-of-N budgets, so that a mistake stops the run before anything is loaded.

    Raises
    ------
    ValueError
        Naming the option, with the messages of the command line.
    """
    check_budget(cfg.selection.budget)
    check_seed(cfg.seed)
    check_budgets(cfg.budgets)


def group_options(group: str) -> list[str]:
    """The options of a config group: the configs of ``configs/<group>/``, private ones
    (``_budget``) last."""
    names = sorted(path.stem for path in (CONFIG_DIR / group).glob("*.yaml"))
    return sorted(names, key=lambda name: name.startswith("_"))


def check_option(group: str, option) -> None:
    """``ValueError`` unless ``option`` names a config of ``group``; a file path is told
    where a file goes (:data:`FILE_OPTIONS`)."""
    choices = group_options(group)
    if isinstance(option, str) and option in choices:
        return
    public = [name for name in choices if not name.startswith("_")]
    message = f"{group}={option!r} is not a config of configs/{group}/ (choices: {', '.join(public)})"
    looks_like_file = isinstance(option, (str, Path)) and (Path(option).suffix != "" or "/" in str(option))
    if looks_like_file and group in FILE_OPTIONS:
        message += f"; a file of yours goes in {FILE_OPTIONS[group]}"
    raise ValueError(message)


def override_list(overrides) -> list[str]:
    """``overrides`` as Hydra's list of ``key=value`` strings.

    A mapping ``{"key": value}`` becomes ``["key=value"]`` (a string value as written, any
    other as JSON, which Hydra's grammar reads: lists, null, booleans).

    Raises
    ------
    TypeError
        A single string (a list of its characters to Hydra), or anything but a sequence of
        strings or a mapping, with the spelling that works.
    """
    if isinstance(overrides, str):
        raise TypeError(f"overrides must be a list of 'key=value' strings, got the string {overrides!r}: "
                        f"write overrides=[{overrides!r}]")
    if isinstance(overrides, Mapping):
        return [f"{key}={value if isinstance(value, str) else json.dumps(value)}" for key, value in overrides.items()]
    if not isinstance(overrides, Sequence) or not all(isinstance(item, str) for item in overrides):
        raise TypeError(f"overrides must be a list of 'key=value' strings (or a mapping), got {overrides!r}")
    return list(overrides)



def compose(space: str | None = None, *, budget: float | int | None = None, seed: int | None = None,
            overrides: Sequence[str] | Mapping = (), **groups: str) -> DictConfig:
    """The config ``python reduce.py space=SPACE GROUP=OPTION ... OVERRIDES`` would run.

    Parameters
    ----------
    space : str, optional
        The space's config (``configs/space/``: ``nb201``, ``nb101``); default the
        command line's (``nb201``, or the space an ``experiment`` names).
    budget : float or int, optional
        ``selection.budget``: a fraction of the space in (0, 1) or a number of cells.
    seed : int, optional
        ``seed``.
    overrides : sequence of str, or mapping
        Any other Hydra override, e.g. ``["selection.base.n_neighbors=20"]`` or
        ``{"selection.base.n_neighbors": 20}``.
    **groups : str
        An option of a config group (:data:`GROUPS`), e.g. ``distance="hellinger"``,
        ``benchmark="nb201_cifar10"``.

    Returns
    -------
    DictConfig
        With ``logger=none`` (nothing is tracked) unless ``overrides`` says otherwise.

    Raises
    ------
    TypeError
        A keyword that is not a config group; ``overrides`` given as one string.
    ValueError
        An option that is not a config of its group (a file path: where a file goes), a
        budget or seed no run can take; checked before Hydra composes anything.
    """
    unknown = sorted(set(groups) - set(GROUPS))
    if unknown:
        raise TypeError(f"unknown config group(s) {unknown}; choose among {list(GROUPS)} "
                        "or pass overrides=['key=value', ...]")
    chosen = {"space": space, **groups}
    for group, option in chosen.items():
        if option is not None:
            check_option(group, option)
    if budget is not None:
        check_budget(budget)
    if seed is not None:
        check_seed(seed)
    extra = override_list(overrides)
    register_config_resolvers()
    selected = ["logger=none"] + [f"{group}={option}" for group, option in chosen.items() if option is not None]
    selected += [f"selection.budget={budget}"] * (budget is not None) + [f"seed={seed}"] * (seed is not None)
    selected += extra
    if GlobalHydra.instance().is_initialized():  # inside a Hydra app or another compose
        return hydra_compose("reduce", overrides=selected)
    with initialize_config_dir(str(CONFIG_DIR), version_base="1.3"):
        return hydra_compose("reduce", overrides=selected)


def load_inputs(cfg: DictConfig, space: SearchSpace | None = None, *,
                tf_table: pd.DataFrame | None = None) -> tuple[SearchSpace, pd.Series | None]:
    """The space (``cfg.space``, or ``space`` when given), and the benchmark accuracy when
    ``cfg.benchmark.path`` is set.

    A space too large to list becomes the sample its TF table measured
    (:class:`~cbred.spaces.sample.SpaceSample`): the cells the reduction works on
    (``tf_table``: the table when the caller has read it already, else read here).
    """
    space = instantiate(cfg.space) if space is None else space
    if not space.enumerable:
        table = tf_table if tf_table is not None else load_tf_table(
            cfg.tfstats.path, duplicates=cfg.tfstats.duplicates, space=space)
        ids = table["arch"] if "arch" in table.columns else table.index
        # one cell per canonical id; several rows of one cell are tfstats.duplicates' business
        space = SpaceSample(space, list(dict.fromkeys(space.canonical_id(a) for a in ids)))
    accuracy = None
    if cfg.benchmark.path is not None:
        accuracy = load_accuracy(
            cfg.benchmark.path, space, cfg.benchmark.metric, duplicates=cfg.benchmark.duplicates,
            nonfinite=cfg.benchmark.nonfinite,
        )
    return space, accuracy


def reduce_from_config(cfg: DictConfig, space: SearchSpace, accuracy: pd.Series | None = None, *,
                       tf_table: pd.DataFrame | None = None) -> Reduction:
    """Build every object from ``cfg`` and run C-BRED (with the evaluation if ``accuracy``).

    ``tf_table``: the TF-statistic table when the caller has read it already (else read here).
    """
    if tf_table is None:
        tf_table = load_tf_table(cfg.tfstats.path, duplicates=cfg.tfstats.duplicates, space=space)
    return reduce_space(
        space,
        tf_table,
        instantiate(cfg.distance),
        instantiate(cfg.selection.procedure),
        budget=cfg.selection.budget,
        statistics=list(cfg.tfstats.statistics),
        directions=OmegaConf.to_container(cfg.tfstats.directions),
        aggregate=instantiate(cfg.tfstats.aggregate) if cfg.tfstats.get("aggregate") else None,
        partial_tf=cfg.tfstats.partial or cfg.tfstats.get("sampling") is not None,  # a budget measures a sample
        uniform_sample=samples_uniformly(cfg),
        constraints=constraints_from_config(OmegaConf.to_container(cfg.constraints, resolve=True)),
        dedup=cfg.dedup,
        representation=OmegaConf.to_container(cfg.representation),
        accuracy=accuracy,
        budgets=list(cfg.budgets),
        random_state=cfg.seed,
    )


def reduce(space: str | SearchSpace | Mapping | None = None, *, budget: float | int | None = None,
           seed: int | None = None, overrides: Sequence[str] | Mapping = (), **groups: str) -> Reduction:
    """Reduce ``space`` as ``python reduce.py`` does, with its defaults; see :func:`compose`.

    ``space`` is the name of a config of ``configs/space/`` (default the command line's:
    ``nb201``, or the space an ``experiment`` names), a declared space
    (:class:`~cbred.spaces.edge_cell.EdgeCellSpace`, ...) or a declaration as a mapping
    (``{"_target_": "cbred.spaces.edge_cell.EdgeCellSpace", "name": ..., ...}``, the content
    of a space YAML). A space the project ships no TF table for needs
    ``overrides=["tfstats.path=FILE"]``.

    Returns
    -------
    Reduction
        ``reduction.selected`` holds the selected ids; with a benchmark,
        ``reduction.evaluation`` compares them with Quantiled, random and the full space.

    Raises
    ------
    TypeError, ValueError
        Arguments no run can take (see :func:`compose` and :func:`check_config`), before
        anything is loaded.
    """
    if not isinstance(space, (str, SearchSpace, Mapping)) and space is not None:
        raise TypeError(f"space must be a config name (e.g. 'nb201'), a declared SearchSpace or a declaration "
                        f"mapping, got {type(space).__name__}: {space!r}")
    named = space if isinstance(space, str) or space is None else "nb201"  # a declared space replaces it
    cfg = compose(named, budget=budget, seed=seed, overrides=overrides, **groups)
    check_config(cfg)
    declared = space if isinstance(space, SearchSpace) else None
    if isinstance(space, Mapping):
        if "_target_" not in space:
            raise TypeError("a space declaration (mapping) needs its class as '_target_', e.g. "
                            "'cbred.spaces.edge_cell.EdgeCellSpace' (the content of a configs/space/*.yaml)")
        declared = instantiate(dict(space))
        if not isinstance(declared, SearchSpace):
            raise TypeError(f"space declaration {dict(space)!r} made a {type(declared).__name__}, not a SearchSpace")
    chosen = declared if declared is not None else instantiate(cfg.space)
    tf_table, _ = tf_table_from_config(cfg, chosen)  # read (or measured, tfstats.sampling) once, as reduce.py
    loaded_space, accuracy = load_inputs(cfg, chosen, tf_table=tf_table)
    return reduce_from_config(cfg, loaded_space, accuracy, tf_table=tf_table)
