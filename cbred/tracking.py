"""Experiment tracking: Weights & Biases (offline unless told otherwise) or nothing.

``reduce.py`` and ``train.py`` build a tracker from the ``logger`` config group
(``configs/logger/wandb.yaml``, ``csv.yaml`` or ``none.yaml``) and log, for every run: the
resolved Hydra config flattened to ``"group/key"`` names plus the chosen option of every
config group as ``"choice/<group>"`` (so that the W&B dashboard groups runs by distance,
clustering, selection) and the distance's ``family`` (``learned`` / ``handcrafted``, also a
tag: learned against handcrafted distances side by side); the metrics as the run summary; complete tables (``wandb.Table`` in
an artifact, and on the run page when W&B shows them whole); figures (PNG files); files as
artifacts (the selected sub-space, the encoder checkpoint). :class:`CsvTracker` writes the
same as plain files.

W&B runs offline unless ``logger.mode`` or the ``WANDB_MODE`` environment variable says
otherwise, so nothing needs a network; ``wandb sync DIR`` uploads an offline run later. All
the jobs of one Hydra multirun share one W&B group (the sweep directory), so that their
runs are compared side by side.

Usage::

    tracker = start_tracking(cfg, job_type="reduce")
    tracker.log_metrics(metrics)
    tracker.log_table("clusters", clusters)
    tracker.log_series("quality/acc_mean", curves)   # lines against the index (e.g. budget)
    tracker.log_images(figure_paths)
    tracker.log_artifact("selection", "dataset", [selected_csv, manifest_json])
    tracker.finish()
"""

from __future__ import annotations

import json
import os
import shutil
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

#: Distances defined in this package are learned ones (a trained graph encoder).
LEARNED_PACKAGE = "cbred.learned."
#: The families of distances dashboards and reports set side by side, in this order.
FAMILIES = ("learned", "handcrafted")
#: Key prefix of the chosen option of every config group (``choice/distance``...).
CHOICE = "choice"
#: Key prefix of the logged figures (``plots/scatter_clusters``...).
PLOTS = "plots"


def flatten_config(config: DictConfig | Mapping, sep: str = "/") -> dict[str, Any]:
    """Nested config -> ``{"distance/_target_": ..., "clustering/n_clusters": ...}``.

    Interpolations are resolved; lists and empty mappings stay values.
    """
    if isinstance(config, DictConfig):
        config = OmegaConf.to_container(config, resolve=True)
    flat: dict[str, Any] = {}

    def visit(node: Mapping, prefix: str) -> None:
        for key, value in node.items():
            name = f"{prefix}{sep}{key}" if prefix else str(key)
            if isinstance(value, Mapping) and value:
                visit(value, name)
            else:
                flat[name] = value

    visit(config, "")
    return flat


def hydra_choices() -> dict[str, str]:
    """Chosen option of every config group of the running Hydra app (empty outside one)."""
    if not HydraConfig.initialized():
        return {}
    choices = HydraConfig.get().runtime.choices
    return {group: option for group, option in choices.items()
            if not group.startswith("hydra/") and option is not None}


def distance_family(target: str | None) -> str | None:
    """``learned`` for a distance class of :mod:`cbred.learned`, ``handcrafted`` for any other,
    None without a target (read from the ``_target_`` string: nothing is imported)."""
    if not target:
        return None
    return FAMILIES[0] if str(target).startswith(LEARNED_PACKAGE) else FAMILIES[1]


def config_family(config: Mapping | None) -> str | None:
    """The family of the ``distance`` of a run's config (None when it has none)."""
    distance = config.get("distance") if isinstance(config, Mapping) else None
    return distance_family(distance.get("_target_") if isinstance(distance, Mapping) else None)


def run_config(config: DictConfig | Mapping) -> dict[str, Any]:
    """What a tracker logs as the run's config: the flattened ``config``, the chosen option of
    every config group (``choice/<group>``) and the ``family`` of its distance (``learned`` /
    ``handcrafted``, :func:`config_family`) when it has one."""
    family = config_family(config)
    return {**flatten_config(config),
            **{f"{CHOICE}/{group}": option for group, option in hydra_choices().items()},
            **({"family": family} if family else {})}


def sweep_group() -> str | None:
    """The Hydra sweep directory in a multirun (one W&B group per sweep), else None."""
    if HydraConfig.initialized() and HydraConfig.get().mode == RunMode.MULTIRUN:
        return str(HydraConfig.get().sweep.dir)
    return None


def _hydra_run_name() -> str | None:
    """The job's overrides (``clustering=kmeans,distance=hellinger``) in a Hydra app."""
    if HydraConfig.initialized():
        return HydraConfig.get().job.override_dirname or None
    return None


def _hydra_output_dir() -> Path:
    if HydraConfig.initialized():
        return Path(HydraConfig.get().runtime.output_dir)
    return Path.cwd()


#: W&B's own directories (environment variables) and where a run keeps them, under its
#: ``wandb/`` directory: artifact staging (``data``), artifact cache, downloaded artifacts.
WANDB_DIRS = {"WANDB_DATA_DIR": "data", "WANDB_CACHE_DIR": "cache", "WANDB_ARTIFACT_DIR": "artifacts"}


def _keep_wandb_files_in(directory: Path) -> dict[str, str | None]:
    """Point W&B's data, cache and artifact directories into ``directory``.

    By default W&B stages a copy of every logged table under
    ``~/.local/share/wandb/artifacts/staging`` (read-only files, never cleaned); inside
    the run directory they go with the run. Variables the user set are left alone.
    Returns the previous values, for :func:`_restore_environ`.
    """
    saved: dict[str, str | None] = {}
    for variable, name in WANDB_DIRS.items():
        saved[variable] = os.environ.get(variable)
        if saved[variable] is None:
            os.environ[variable] = str(directory / name)
    return saved


def _restore_environ(saved: Mapping[str, str | None]) -> None:
    for variable, value in saved.items():
        if value is None:
            os.environ.pop(variable, None)
        else:
            os.environ[variable] = value


class Tracker:
    """What ``reduce.py`` and ``train.py`` call; this base records nothing (``logger=none``).

    A tracker is also a context manager that finishes the run on exit.
    """

    def start(self, config: DictConfig | Mapping, *, job_type: str) -> Tracker:
        """Open the run and log the resolved ``config``; returns ``self``."""
        return self

    def log_metrics(self, metrics: Mapping[str, Any]) -> None:
        """Record final metrics (e.g. the ``metrics.json`` dict)."""

    def log_table(self, key: str, frame: pd.DataFrame) -> None:
        """Record a table (index included)."""

    def log_series(self, key: str, frame: pd.DataFrame) -> None:
        """Record curves: one line per column of ``frame`` against its (named, numeric) index,
        e.g. quality against budget with one column per sub-space."""

    def log_images(self, images: Mapping[str, str | os.PathLike]) -> None:
        """Record image files, ``{name: path}``."""

    def log_artifact(self, name: str, type: str, paths: list[str | os.PathLike]) -> None:
        """Record files as one versioned artifact (e.g. ``"selection"``, type ``"dataset"``)."""

    def lightning_logger(self):
        """A Lightning logger for ``Trainer(logger=...)``; ``False`` means "no logger"."""
        return False

    def finish(self) -> None:
        """Close the run."""

    def __enter__(self) -> Tracker:
        return self

    def __exit__(self, *exc) -> None:
        self.finish()


class NullTracker(Tracker):
    """No tracking (``configs/logger/none.yaml``)."""


def _missing_files(paths) -> list[str]:
    return [str(path) for path in paths if not Path(path).is_file()]


class CsvTracker(Tracker):
    """Plain files, no service (``configs/logger/csv.yaml``).

    Under ``dir/csv/``: ``config.json`` (flattened), ``metrics.csv`` (one ``key,value`` row
    per metric), ``<table>.csv`` for every table, ``images.csv`` (name, path) and
    ``artifacts/<name>/`` (copies of the files); Lightning's ``CSVLogger`` writes into
    ``dir/csv/lightning``.

    Parameters
    ----------
    dir : path, optional
        Default: the Hydra run's output directory (the current directory outside Hydra).
    """

    def __init__(self, *, dir: str | os.PathLike | None = None):
        self.dir = dir

    @property
    def root(self) -> Path:
        return (Path(self.dir) if self.dir is not None else _hydra_output_dir()) / "csv"

    def start(self, config: DictConfig | Mapping, *, job_type: str) -> CsvTracker:
        self.root.mkdir(parents=True, exist_ok=True)
        flat = {**run_config(config), "job_type": job_type}
        (self.root / "config.json").write_text(json.dumps(flat, indent=2, default=str) + "\n")
        return self

    def log_metrics(self, metrics: Mapping[str, Any]) -> None:
        frame = pd.DataFrame({"key": list(metrics), "value": list(metrics.values())})
        frame.to_csv(self.root / "metrics.csv", index=False)

    def log_table(self, key: str, frame: pd.DataFrame) -> None:
        frame.to_csv(self.root / f"{key.replace('/', '_')}.csv")

    def log_series(self, key: str, frame: pd.DataFrame) -> None:
        """The curves as a table, ``<key>.csv`` (the index is the first column)."""
        self.log_table(key, frame)

    def log_images(self, images: Mapping[str, str | os.PathLike]) -> None:
        missing = _missing_files(images.values())
        if missing:
            raise FileNotFoundError(f"images to log do not exist: {missing}")
        pd.DataFrame({"name": list(images), "path": [str(p) for p in images.values()]}).to_csv(
            self.root / "images.csv", index=False)

    def log_artifact(self, name: str, type: str, paths: list[str | os.PathLike]) -> None:
        missing = _missing_files(paths)
        if missing:
            raise FileNotFoundError(f"files of artifact {name!r} do not exist: {missing}")
        target = self.root / "artifacts" / name
        target.mkdir(parents=True, exist_ok=True)
        for path in paths:
            shutil.copy2(path, target / Path(path).name)

    def lightning_logger(self):
        """Lightning's ``CSVLogger`` writing into ``csv/lightning``."""
        from pytorch_lightning.loggers import CSVLogger

        return CSVLogger(save_dir=str(self.root), name="lightning")


class WandbTracker(Tracker):
    """Log a run to Weights & Biases.

    Parameters
    ----------
    project : str
        W&B project.
    group : str, optional
        W&B group; default: the Hydra sweep directory in a multirun (:func:`sweep_group`).
    dir : path, optional
        Parent of the ``wandb/`` directory; default: the Hydra run's output directory (the
        current directory outside Hydra). W&B's staging, cache and artifact directories
        go inside it too (``wandb/data``, ``wandb/cache``, ``wandb/artifacts``) unless
        ``WANDB_DATA_DIR`` / ``WANDB_CACHE_DIR`` / ``WANDB_ARTIFACT_DIR`` are set; after an
        online run the staged copies are deleted (an offline run keeps them for
        ``wandb sync``).
    mode : {"offline", "online", "disabled"}, optional
        Default: the ``WANDB_MODE`` environment variable if set, else ``"offline"``.
    name : str, optional
        Run name; default: the job's Hydra overrides.
    entity : str, optional
        W&B entity (user or team).
    tags : list of str
        Run tags.

    Attributes
    ----------
    run_ : wandb.Run
        The run, after :meth:`start`.
    """

    def __init__(self, *, project: str = "cbred", group: str | None = None,
                 dir: str | os.PathLike | None = None, mode: str | None = None,
                 name: str | None = None, entity: str | None = None,
                 tags: list[str] | tuple[str, ...] = ()):
        self.project = project
        self.group = group
        self.dir = dir
        self.mode = mode
        self.name = name
        self.entity = entity
        self.tags = tags

    def start(self, config: DictConfig | Mapping, *, job_type: str) -> WandbTracker:
        """Open the run and log the flattened, resolved ``config``; returns ``self``."""
        import wandb

        directory = Path(self.dir) if self.dir is not None else _hydra_output_dir()
        directory.mkdir(parents=True, exist_ok=True)
        self._saved_environ = _keep_wandb_files_in(directory / "wandb")
        self.run_ = wandb.init(
            project=self.project,
            entity=self.entity,
            group=self.group or sweep_group(),
            job_type=job_type,
            name=self.name or _hydra_run_name(),
            tags=[*self.tags, *filter(None, [config_family(config)])],  # learned / handcrafted
            dir=str(directory),
            mode=self.mode or os.environ.get("WANDB_MODE") or "offline",
            config=run_config(config),
        )
        return self

    def log_metrics(self, metrics: Mapping[str, Any]) -> None:
        """Record final metrics (e.g. the ``metrics.json`` dict) in the run summary."""
        self.run_.summary.update(dict(metrics))

    def log_table(self, key: str, frame: pd.DataFrame) -> None:
        """Log a DataFrame (index included as a column), complete.

        The table goes into an artifact ``<run id>-<key>`` (type ``"table"``): as a
        ``wandb.Table`` up to ``wandb.Table.MAX_ARTIFACT_ROWS`` rows (200,000), beyond that as
        a parquet file. It is also shown on the run page when W&B shows it whole (at most
        ``wandb.Table.MAX_ROWS`` rows, 10,000; W&B would silently cut a longer one); a warning
        says where a longer table is.
        """
        import wandb

        if self.run_.settings.mode == "disabled":
            return
        frame = frame.reset_index()
        artifact = wandb.Artifact(f"{self.run_.id}-{key.replace('/', '_')}", type="table")
        if len(frame) <= wandb.Table.MAX_ARTIFACT_ROWS:
            artifact.add(wandb.Table(dataframe=frame), key)
        else:
            path = Path(os.environ.get("WANDB_DATA_DIR", ".")) / f"{key.replace('/', '_')}.parquet"
            path.parent.mkdir(parents=True, exist_ok=True)
            frame.to_parquet(path)
            artifact.add_file(str(path), name=f"{key}.parquet")
        self.run_.log_artifact(artifact)
        if len(frame) <= wandb.Table.MAX_ROWS:
            self.run_.log({key: wandb.Table(dataframe=frame)})
        else:
            warnings.warn(f"table {key!r} ({len(frame):,} rows) is logged complete in artifact "
                          f"{artifact.name!r}; the run page shows tables of at most "
                          f"{wandb.Table.MAX_ROWS:,} rows, so it is not shown there", stacklevel=2)

    def log_series(self, key: str, frame: pd.DataFrame) -> None:
        """Log curves two ways: as history, ``<key>/<column>`` against ``<key>/<index name>``
        (so that a workspace panel draws every run of a group on one chart, against the
        index rather than the step), and as one line-series chart of this run,
        ``<key>/chart``."""
        import wandb

        if self.run_.settings.mode == "disabled":
            return
        x = frame.index.name or "x"
        self.run_.define_metric(f"{key}/{x}")  # the x axis of the columns' default panels
        for column in frame.columns:
            self.run_.define_metric(f"{key}/{column}", step_metric=f"{key}/{x}")
        for value, row in frame.iterrows():
            self.run_.log({f"{key}/{x}": value, **{f"{key}/{column}": v for column, v in row.items()}})
        chart = wandb.plot.line_series(xs=frame.index.tolist(), ys=[frame[c].tolist() for c in frame.columns],
                                       keys=[str(c) for c in frame.columns], title=key, xname=x)
        self.run_.log({f"{key}/chart": chart})

    def log_images(self, images: Mapping[str, str | os.PathLike]) -> None:
        """Log image files as ``plots/<name>`` (e.g. the dict of ``save_reduction_figures``)."""
        import wandb

        missing = [str(path) for path in images.values() if not Path(path).is_file()]
        if missing:
            raise FileNotFoundError(f"images to log do not exist: {missing}")
        self.run_.log({f"{PLOTS}/{name}": wandb.Image(str(path)) for name, path in images.items()})

    def log_artifact(self, name: str, type: str, paths: list[str | os.PathLike]) -> None:
        """Log files as one artifact (e.g. the selected sub-space, the encoder checkpoint)."""
        import wandb

        missing = _missing_files(paths)
        if missing:
            raise FileNotFoundError(f"files of artifact {name!r} do not exist: {missing}")
        if self.run_.settings.mode == "disabled":
            return
        artifact = wandb.Artifact(name, type=type)
        for path in paths:
            artifact.add_file(str(path))
        self.run_.log_artifact(artifact)

    def lightning_logger(self):
        """A Lightning ``WandbLogger`` writing into this run (for ``train.py``'s Trainer)."""
        from pytorch_lightning.loggers import WandbLogger

        return WandbLogger(experiment=self.run_)

    def finish(self) -> None:
        """Close the run; safe to call twice.

        wandb-core may still be flushing the offline ``.wandb`` file when this returns; it is
        complete at process exit or after ``wandb.teardown()``.
        """
        run = getattr(self, "run_", None)
        if run is not None:
            offline = run.settings.mode in ("offline", "dryrun")
            run.finish()
            del self.run_
            saved = getattr(self, "_saved_environ", {})
            if not offline and saved.get("WANDB_DATA_DIR", "") is None:
                # ours, and uploaded (or nothing to upload): the staged copies are spent
                shutil.rmtree(Path(os.environ["WANDB_DATA_DIR"]) / "artifacts" / "staging", ignore_errors=True)
        _restore_environ(getattr(self, "_saved_environ", {}))
        self._saved_environ = {}


def start_tracking(cfg: DictConfig, *, job_type: str) -> Tracker:
    """Instantiate ``cfg.logger`` (no ``logger`` node: no tracking) and start it with ``cfg``."""
    from hydra.utils import instantiate

    logger = cfg.get("logger")
    tracker = instantiate(logger) if logger is not None else NullTracker()
    return tracker.start(cfg, job_type=job_type)
