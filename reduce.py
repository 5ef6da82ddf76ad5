"""Reduce a NAS search space with C-BRED: ``python reduce.py [overrides]``.

``run(cfg)`` is a pure function of the composed config (tests call it through Hydra's
compose API); ``main`` only adds Hydra's command line. The run directory receives
``clusters.csv``, ``selected.csv``, ``metrics.json``, ``config.yaml`` and the figures
(PNG); the run is logged to W&B (offline unless ``WANDB_MODE`` says otherwise;
``logger=csv`` writes plain files, ``logger=none`` turns it off), and it ends with the
verdict (:mod:`cbred.verdict`): the selection against its baselines in one table. The
selected sub-space is also exported (``selected_nb201.csv`` / ``selected_nb101.jsonl``,
``manifest.json``: :mod:`cbred.export`). A multirun ends with ``report.md`` and
``report.html`` in its sweep directory.
"""

from __future__ import annotations

import logging
import warnings
from importlib import import_module
from pathlib import Path

import hydra
import pandas as pd
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from cbred.api import check_config, load_inputs, reduce_from_config
from cbred.cli import run_cli
from cbred.spaces.space import SearchSpace
from cbred.export import export_selection
from cbred.paths import register_config_resolvers
from cbred.pipeline import Reduction
from cbred.rundir import record_checksums
from cbred.sampling.from_config import tf_table_from_config, write_measured
from cbred.selection import constraints_from_config
from cbred.tracking import start_tracking
from cbred.verdict import constraint_removals, verdict
from cbred.viz.figures import FigureWarning
from cbred.viz.reduction import save_figures_of

__all__ = ["load_inputs", "reduce_from_config", "run", "main"]

CONFIG_DIR = Path(__file__).resolve().parent / "configs"
log = logging.getLogger("reduce")


def config_groups(primary: str = "reduce") -> str:
    """``group: option, option`` for every group in the defaults of ``configs/<primary>.yaml``.

    What ``python reduce.py --help`` lists (``hydra.help.template``): only the groups the
    entry point composes, without private options (``_stability``, ``_budget``).
    """
    defaults = OmegaConf.load(CONFIG_DIR / f"{primary}.yaml").get("defaults", [])
    groups = [str(key).removeprefix("optional ").strip() for entry in defaults
              if isinstance(entry, (dict, DictConfig)) for key in entry]
    lines = []
    for group in groups:
        options = sorted(path.stem for path in (CONFIG_DIR / group).glob("*.yaml") if not path.stem.startswith("_"))
        lines.append(f"{group}: {', '.join(options)}")
    return "\n".join(lines)


register_config_resolvers()  # `${reference_file:nb201_cifar10.csv}` in configs
OmegaConf.register_new_resolver("config_groups", config_groups, replace=True)


def write_figures(cfg: DictConfig, reduction: Reduction, space: SearchSpace, accuracy: pd.Series | None) -> dict:
    """The run's figures; a failure warns and costs no result (the reduction is written)."""
    if not cfg.plots.enabled:
        return {}
    options = OmegaConf.to_container(cfg.plots, resolve=True)
    del options["enabled"]
    benchmark = OmegaConf.select(cfg, "benchmark.path")
    name = f"{cfg.benchmark.metric} on {Path(str(benchmark)).stem}" if benchmark else None
    try:
        return save_figures_of(
            reduction, space, cfg.output_dir, accuracy=accuracy, accuracy_name=name,
            directions=OmegaConf.to_container(cfg.tfstats.directions),
            agreement=OmegaConf.select(cfg, "clustering.agreement", default="ari"), **options)
    except Exception as error:  # noqa: BLE001  (figures never lose a finished reduction)
        warnings.warn(f"figures skipped: {type(error).__name__}: {error}", FigureWarning, stacklevel=2)
        return {}


def checkpoint_of(cfg: DictConfig) -> Path | None:
    """The encoder checkpoint a learned distance reads: ``distance.checkpoint``, else the
    default of the distance's module (``DEFAULT_CHECKPOINT``); None for other distances."""
    if "checkpoint" not in cfg.distance:
        return None
    if cfg.distance.checkpoint:
        return Path(cfg.distance.checkpoint)
    module = import_module(str(cfg.distance._target_).rsplit(".", 1)[0])
    default = getattr(module, "DEFAULT_CHECKPOINT", None)
    return Path(default) if default is not None else None


def run(cfg: DictConfig) -> dict:
    """Run C-BRED, write the run directory's files and figures, log them; return the metrics."""
    check_config(cfg)  # before any work
    space = instantiate(cfg.space)
    tf_table, sampler = tf_table_from_config(cfg, space)  # read (or measured) once; a bad sampler stops it first
    space, accuracy = load_inputs(cfg, space, tf_table=tf_table)
    reduction = reduce_from_config(cfg, space, accuracy, tf_table=tf_table)
    output_dir = Path(cfg.output_dir)
    files = reduction.write(output_dir)
    if sampler is not None:  # what the budget bought, to reuse as tfstats.path
        files |= write_measured(tf_table, sampler, output_dir)
    OmegaConf.save(cfg, output_dir / "config.yaml", resolve=True)
    exported = export_selection(reduction, space, output_dir, config=cfg)
    record_checksums(output_dir)  # search.py verifies clusters.csv and selected.csv against them
    figures = write_figures(cfg, reduction, space, accuracy)
    metrics = reduction.metrics()
    constraints = constraints_from_config(OmegaConf.to_container(cfg.constraints, resolve=True))
    removals = constraint_removals(constraints, space, tf_table) if constraints else {}
    graphs = space.graphs(list(reduction.archs))
    op_counts = pd.DataFrame(graphs.op_counts(), index=pd.Index(graphs.ids), columns=graphs.vocab)
    outcome = verdict(reduction, op_counts=op_counts, constraint_removals=removals)
    with start_tracking(cfg, job_type="reduce") as tracker:
        tracker.log_metrics(metrics)
        tracker.log_table("cluster_scores", reduction.cluster_scores)
        tracker.log_table("clusters", reduction.clusters_table())
        tracker.log_table("verdict", outcome.table)
        if reduction.evaluation is not None:
            tracker.log_table("evaluation", reduction.evaluation.summary)
        if not reduction.stability.empty:
            tracker.log_table("stability", reduction.stability)
        tracker.log_images(figures)
        tracker.log_artifact("selection", "dataset", [files["selected"], *exported.values()])
        checkpoint = checkpoint_of(cfg)
        if checkpoint is not None and checkpoint.is_file():
            tracker.log_artifact("encoder", "model", [checkpoint])
    # the verdict's table holds the evaluation: the summary leaves it out, so it is printed once
    log.info("%s\noutputs: %s (%d figures)\n\n%s", reduction.summary(evaluation=False), output_dir, len(figures),
             outcome)
    return metrics


@hydra.main(version_base="1.3", config_path="configs", config_name="reduce")
def main(cfg: DictConfig) -> None:
    run_cli(run, cfg)


if __name__ == "__main__":
    main()
