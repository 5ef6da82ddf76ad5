"""Reduce a NAS search space with C-BRED: ``python reduce.py [overrides]``.

``run(cfg)`` is a pure function of the composed config (tests call it through Hydra's
compose API); ``main`` only adds Hydra's command line. The run directory receives
``clusters.csv``, ``selected.csv``, ``metrics.json``, ``config.yaml`` and the figures
(PNG); the run is logged to W&B (offline unless ``WANDB_MODE`` says otherwise;
``logger=none`` turns it off). A multirun ends with ``report.md`` in its sweep directory.
"""

from __future__ import annotations

import logging
from pathlib import Path

import hydra
import pandas as pd
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from cbred.cli import run_cli
from cbred.data.space import SearchSpace
from cbred.evaluation import check_budgets
from cbred.paths import register_config_resolvers
from cbred.pipeline import Reduction, load_accuracy, load_tf_table, reduce_space
from cbred.selection import constraints_from_config
from cbred.tracking import start_tracking
from cbred.viz.reduction import save_figures_of

register_config_resolvers()  # `${reference_file:nb201_cifar10.csv}` in configs
log = logging.getLogger("reduce")


def load_inputs(cfg: DictConfig) -> tuple[SearchSpace, pd.Series | None]:
    """The space, and the benchmark accuracy when ``cfg.benchmark.path`` is set."""
    space = instantiate(cfg.space)
    accuracy = None
    if cfg.benchmark.path is not None:
        accuracy = load_accuracy(
            cfg.benchmark.path, space, cfg.benchmark.metric, duplicates=cfg.benchmark.duplicates,
            nonfinite=cfg.benchmark.nonfinite,
        )
    return space, accuracy


def reduce_from_config(
    cfg: DictConfig, space: SearchSpace, accuracy: pd.Series | None = None
) -> Reduction:
    """Build every object from ``cfg`` and run C-BRED (with the evaluation if ``accuracy``)."""
    return reduce_space(
        space,
        load_tf_table(cfg.tfstats.path, duplicates=cfg.tfstats.duplicates),
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


def run(cfg: DictConfig) -> dict:
    """Run C-BRED, write the run directory's files and figures, log them; return the metrics."""
    check_budgets(cfg.budgets)  # before any work
    space, accuracy = load_inputs(cfg)
    reduction = reduce_from_config(cfg, space, accuracy)
    output_dir = Path(cfg.output_dir)
    reduction.write(output_dir)
    OmegaConf.save(cfg, output_dir / "config.yaml", resolve=True)
    figures = {}
    if cfg.plots.enabled:
        options = OmegaConf.to_container(cfg.plots, resolve=True)
        del options["enabled"]
        figures = save_figures_of(reduction, space, output_dir, accuracy=accuracy, **options)
    metrics = reduction.metrics()
    with start_tracking(cfg, job_type="reduce") as tracker:
        tracker.log_metrics(metrics)
        tracker.log_table("cluster_scores", reduction.cluster_scores)
        tracker.log_table("clusters", reduction.clusters_table())
        tracker.log_images(figures)
    log.info("%s\noutputs: %s (%d figures)", reduction.summary(), output_dir, len(figures))
    return metrics


@hydra.main(version_base="1.3", config_path="configs", config_name="reduce")
def main(cfg: DictConfig) -> None:
    run_cli(run, cfg)


if __name__ == "__main__":
    main()
