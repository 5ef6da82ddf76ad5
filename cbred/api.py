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

from collections.abc import Mapping, Sequence

import pandas as pd
from hydra import compose as hydra_compose
from hydra import initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from cbred.spaces.sample import SpaceSample
from cbred.spaces.space import SearchSpace
from cbred.paths import PROJECT_ROOT, register_config_resolvers
from cbred.pipeline import Reduction, reduce_space
from cbred.tables import load_accuracy, load_tf_table
from cbred.selection import constraints_from_config

#: The configs ``reduce.py`` composes.
CONFIG_DIR = PROJECT_ROOT / "configs"
#: Config groups a keyword of :func:`compose` chooses (``distance="hellinger"``).
GROUPS = ("distance", "clustering", "selection", "variant", "constraints", "tfstats", "benchmark", "experiment")


def compose(space: str = "nb201", *, budget: float | int | None = None, seed: int | None = None,
            overrides: Sequence[str] = (), **groups: str) -> DictConfig:
    """The config ``python reduce.py space=SPACE GROUP=OPTION ... OVERRIDES`` would run.

    Parameters
    ----------
    space : str
        The space's config (``configs/space/``: ``nb201``, ``nb101``).
    budget : float or int, optional
        ``selection.budget``: a fraction of the space in (0, 1) or a number of cells.
    seed : int, optional
        ``seed``.
    overrides : sequence of str
        Any other Hydra override, e.g. ``["selection.base.n_neighbors=20"]``.
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
        A keyword that is not a config group.
    """
    unknown = sorted(set(groups) - set(GROUPS))
    if unknown:
        raise TypeError(f"unknown config group(s) {unknown}; choose among {list(GROUPS)} "
                        "or pass overrides=['key=value', ...]")
    register_config_resolvers()
    chosen = [f"space={space}", "logger=none"]
    chosen += [f"{group}={option}" for group, option in groups.items() if option is not None]
    chosen += [f"selection.budget={budget}"] * (budget is not None) + [f"seed={seed}"] * (seed is not None)
    chosen += list(overrides)
    if GlobalHydra.instance().is_initialized():  # inside a Hydra app or another compose
        return hydra_compose("reduce", overrides=chosen)
    with initialize_config_dir(str(CONFIG_DIR), version_base="1.3"):
        return hydra_compose("reduce", overrides=chosen)


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
        partial_tf=cfg.tfstats.partial,
        constraints=constraints_from_config(OmegaConf.to_container(cfg.constraints, resolve=True)),
        dedup=cfg.dedup,
        representation=OmegaConf.to_container(cfg.representation),
        accuracy=accuracy,
        budgets=list(cfg.budgets),
        random_state=cfg.seed,
    )


def reduce(space: str | SearchSpace | Mapping = "nb201", *, budget: float | int | None = None,
           seed: int | None = None, overrides: Sequence[str] = (), **groups: str) -> Reduction:
    """Reduce ``space`` as ``python reduce.py`` does, with its defaults; see :func:`compose`.

    ``space`` is the name of a config of ``configs/space/``, a declared space
    (:class:`~cbred.spaces.edge_cell.EdgeCellSpace`, ...) or a declaration as a mapping
    (``{"_target_": "cbred.spaces.edge_cell.EdgeCellSpace", "name": ..., ...}``, the content
    of a space YAML). A space the project ships no TF table for needs
    ``overrides=["tfstats.path=FILE"]``.

    Returns
    -------
    Reduction
        ``reduction.selected`` holds the selected ids; with a benchmark,
        ``reduction.evaluation`` compares them with Quantiled, random and the full space.
    """
    declared = None
    if isinstance(space, Mapping):
        if "_target_" not in space:
            raise TypeError("a space declaration (mapping) needs its class as '_target_', e.g. "
                            "'cbred.spaces.edge_cell.EdgeCellSpace' (the content of a configs/space/*.yaml)")
        declared = instantiate(dict(space))
        if not isinstance(declared, SearchSpace):
            raise TypeError(f"space declaration {dict(space)!r} made a {type(declared).__name__}, not a SearchSpace")
    elif isinstance(space, SearchSpace):
        declared = space
    elif not isinstance(space, str):
        raise TypeError(f"space must be a config name (e.g. 'nb201'), a declared SearchSpace or a declaration "
                        f"mapping, got {type(space).__name__}: {space!r}")
    cfg = compose("nb201" if declared is not None else space, budget=budget, seed=seed, overrides=overrides,
                  **groups)
    loaded_space, accuracy = load_inputs(cfg, declared)
    return reduce_from_config(cfg, loaded_space, accuracy)
