"""Sweep report for readers without W&B: one table row per run of a Hydra multirun.

``python -m cbred.report MULTIRUN_DIR`` finds every run directory under ``MULTIRUN_DIR`` that
holds a ``metrics.json`` and writes ``report.md`` and ``report.html`` into ``MULTIRUN_DIR``:
a table whose columns are the overrides that differ between runs (from each run's
``.hydra/overrides.yaml``, else its flattened ``config.yaml``) and the ``metrics.json``
contract keys, followed by the key figures of every run (:data:`cbred.viz.KEY_FIGURES`).

Added to ``hydra.callbacks`` as :class:`ReportCallback`, the report is written at the end of
every multirun.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

from cbred.cache import atomic_write
from cbred.tracking import flatten_config
from cbred.viz.figures import KEY_FIGURES

METRICS = "metrics.json"
#: The metrics.json keys of the report, in column order (those no run has are left out).
CONTRACT_KEYS = (
    "selection/procedure", "budget", "n_archs", "n_clusters", "selected_cluster", "selected_size", "stability",
    "full/acc_mean", "selected/acc_mean", "quantiled/acc_mean", "random/acc_mean", "selected/acc_std",
    "full/best_of_10", "selected/best_of_10", "quantiled/best_of_10", "random/best_of_10",
    "full/best_of_100", "selected/best_of_100", "quantiled/best_of_100", "random/best_of_100",
    "selected/top1pct_recall", "quantiled/top1pct_recall", "random/top1pct_recall", "cluster_rank_tau",
)  # fmt: skip


def _natural_key(path: Path) -> list:
    """Sort ``2`` before ``10`` (Hydra numbers the jobs of a sweep)."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path.as_posix())]


def find_runs(root: str | Path) -> list[Path]:
    """Run directories under ``root`` (``root`` included) that hold a ``metrics.json``."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"sweep directory {root} does not exist")
    return sorted((path.parent for path in root.rglob(METRICS)), key=_natural_key)


def run_settings(run_dir: Path) -> tuple[dict[str, str], str]:
    """Settings of one run and where they come from (``"overrides"`` or ``"config"``).

    ``.hydra/overrides.yaml`` (parsed by Hydra: ``distance=hellinger`` ->
    ``{"distance": "hellinger"}``); without it, ``config.yaml`` or ``.hydra/config.yaml``
    flattened to ``"group/key"`` names; without either, nothing.
    """
    overrides = run_dir / ".hydra" / "overrides.yaml"
    if overrides.is_file():
        parsed = OverridesParser.create().parse_overrides(list(OmegaConf.load(overrides)))
        return {o.key_or_group: o.get_value_element_as_str() for o in parsed}, "overrides"
    for config in (run_dir / "config.yaml", run_dir / ".hydra" / "config.yaml"):
        if config.is_file():
            flat = flatten_config(OmegaConf.load(config))
            return {key: str(value) for key, value in flat.items()}, "config"
    return {}, "none"


def sweep_table(root: str | Path) -> pd.DataFrame:
    """One row per run (index: its path relative to ``root``): settings that differ, then
    the contract metrics.

    Raises
    ------
    FileNotFoundError
        ``root`` holds no run with a ``metrics.json``.
    """
    root = Path(root)
    runs = find_runs(root)
    if not runs:
        raise FileNotFoundError(f"no run directory with a {METRICS} under {root}")
    settings, metrics = {}, {}
    for run in runs:
        name = run.relative_to(root).as_posix()
        settings[name], _ = run_settings(run)
        try:
            metrics[name] = json.loads((run / METRICS).read_text())
        except json.JSONDecodeError as err:
            raise ValueError(f"{run / METRICS} is not valid JSON: {err}") from err
    settings = pd.DataFrame.from_dict(settings, orient="index")
    if len(settings) > 1:
        settings = settings.loc[:, settings.astype(str).nunique(dropna=False) > 1]
    metrics = pd.DataFrame.from_dict(metrics, orient="index")
    metrics = metrics[[key for key in CONTRACT_KEYS if key in metrics.columns]]
    table = settings.join(metrics, how="right") if len(settings.columns) else metrics
    table.index.name = "run"
    return table


def _format(value) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:.4g}"
    return str(value)


def key_figures(run_dir: Path) -> dict[str, Path]:
    """The key figures a run wrote (``<name>.png`` anywhere under its directory)."""
    found = {}
    for name in KEY_FIGURES:
        matches = sorted(run_dir.rglob(f"{name}.png"), key=_natural_key)
        if matches:
            found[name] = matches[0]
    return found


def _markdown_table(table: pd.DataFrame, links: dict[str, str]) -> str:
    header = [table.index.name, *map(str, table.columns)]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for run, row in table.iterrows():
        cells = [f"[{run}]({links[run]})", *(_format(v).replace("|", "\\|") for v in row)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _html_page(title: str, table: pd.DataFrame, links: dict[str, str],
               figures: dict[str, dict[str, str]]) -> str:
    # every text of the page comes from configs or data (override values, run names,
    # metric names): escaped, so that a value such as <img onerror=...> stays text
    formatted = table.map(lambda value: html.escape(_format(value)))
    formatted.columns = [html.escape(str(column)) for column in table.columns]
    formatted.index = [f'<a href="{html.escape(links[run])}">{html.escape(run)}</a>'
                       for run in table.index]
    rows = "".join(
        f"<tr><th>{html.escape(run)}</th>" + "".join(
            f'<td><a href="{html.escape(src)}"><img src="{html.escape(src)}" width="260" '
            f'alt="{html.escape(name)}" title="{html.escape(name)}"></a></td>'
            for name, src in found.items()) + "</tr>"
        for run, found in figures.items() if found)
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>body{{font-family:sans-serif}} "
        "table{border-collapse:collapse} td,th{border:1px solid #ccc;padding:3px 6px;"
        "text-align:right}</style></head><body>"
        f"<h1>{html.escape(title)}</h1><p>{len(table)} runs.</p>"
        + formatted.to_html(escape=False, index_names=False)
        + (f"<h2>Figures</h2><table>{rows}</table>" if rows else "")
        + "</body></html>\n"
    )


def write_report(root: str | Path, out: str | Path | None = None) -> dict[str, Path]:
    """Write ``report.md`` and ``report.html`` of the sweep in ``root`` into ``out``
    (default ``root``); links are relative, so the reports move with the sweep directory.

    Returns
    -------
    dict
        ``{"markdown": path, "html": path}``.
    """
    root = Path(root)
    out = Path(out) if out is not None else root
    table = sweep_table(root)

    def link(path: Path) -> str:
        return Path(os.path.relpath(path, out)).as_posix()

    links = {run: link(root / run) + "/" for run in table.index}
    figures = {run: {name: link(path) for name, path in key_figures(root / run).items()}
               for run in table.index}
    title = f"Sweep report: {root}"
    md = [f"# {title}", "", f"{len(table)} runs.", "", _markdown_table(table, links), ""]
    if any(figures.values()):
        md += ["## Figures", ""]
        for run, found in figures.items():
            if found:
                md += [f"### {run}", "", *(f"![{name}]({src})" for name, src in found.items()), ""]
    paths = {"markdown": out / "report.md", "html": out / "report.html"}
    atomic_write(paths["markdown"], lambda tmp: tmp.write_text("\n".join(md)))
    page = _html_page(title, table, links, figures)
    atomic_write(paths["html"], lambda tmp: tmp.write_text(page))
    return paths


class ReportCallback(Callback):
    """Hydra callback writing the sweep report when a multirun ends.

    Add it to the primary config::

        hydra:
          callbacks:
            report:
              _target_: cbred.report.ReportCallback
    """

    def on_multirun_end(self, config: DictConfig, **kwargs) -> None:
        root = Path(config.hydra.sweep.dir)
        if find_runs(root):
            write_report(root)


def main(argv: Sequence[str] | None = None) -> dict[str, Path]:
    parser = argparse.ArgumentParser(prog="python -m cbred.report", description=__doc__.split("\n")[0])
    parser.add_argument("multirun_dir", type=Path, help="the Hydra sweep directory")
    parser.add_argument("--out", type=Path, default=None,
                        help="directory of report.md / report.html (default: MULTIRUN_DIR)")
    args = parser.parse_args(argv)
    try:
        paths = write_report(args.multirun_dir, args.out)
    except (FileNotFoundError, ValueError) as err:
        parser.error(str(err))
    for path in paths.values():
        print(path)
    return paths


if __name__ == "__main__":
    main()
