"""Sweep report for readers without W&B: one table row per run of a Hydra multirun.

``python -m cbred.report MULTIRUN_DIR`` finds every run directory under ``MULTIRUN_DIR`` that
holds a ``metrics.json`` and writes ``report.md`` and ``report.html`` into ``MULTIRUN_DIR``:
a table whose columns are the overrides that differ between runs (from each run's
``.hydra/overrides.yaml``, else its flattened ``config.yaml``) and the ``metrics.json``
contract keys, followed by the key figures of every run (:data:`cbred.viz.KEY_FIGURES`).
Runs with a distance are grouped by its family, learned then handcrafted (column
``family``): a sweep over ``distance=`` compares the two side by side.

Added to ``hydra.callbacks`` as :class:`ReportCallback`, the report is written at the end of
every multirun.

Every text of the reports that comes from the runs (run names, override values, metrics)
is escaped, for Markdown and for HTML: a value such as ``<img onerror=...>`` or ``a|b``
stays text, and a table cell stays one cell on one line. A figure is linked only when it
lies inside the sweep directory once symlinks are followed; the others are skipped with a
note.
"""

from __future__ import annotations

import argparse
import html
import json
import logging
import os
import re
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import quote

import yaml

import numpy as np
import pandas as pd
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import HydraException
from hydra.experimental.callback import Callback
from omegaconf import DictConfig, ListConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from cbred.cache import atomic_write
from cbred.cli import USER_ERRORS, error_line, run_cli
from cbred.paths import output_directory
from cbred.tracking import FAMILIES, config_family, flatten_config
from cbred.viz.figures import KEY_FIGURES

log = logging.getLogger(__name__)

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
        return _parse_overrides(overrides, run_dir), "overrides"
    for config in (run_dir / "config.yaml", run_dir / ".hydra" / "config.yaml"):
        if config.is_file():
            flat = flatten_config(_load_yaml(config, run_dir))
            return {key: str(value) for key, value in flat.items()}, "config"
    return {}, "none"


def run_family(run_dir: Path) -> str | None:
    """The family of a run's distance (``learned`` / ``handcrafted``) from its ``config.yaml``
    (or ``.hydra/config.yaml``); None without one or without a distance."""
    for config in (run_dir / "config.yaml", run_dir / ".hydra" / "config.yaml"):
        if config.is_file():
            return config_family(_load_yaml(config, run_dir))
    return None


#: What reading a run's YAML files can raise on a damaged or foreign file.
_UNREADABLE = (yaml.YAMLError, OmegaConfBaseException, HydraException, UnicodeDecodeError, TypeError, ValueError)


def _load_yaml(path: Path, run_dir: Path):
    """``OmegaConf.load(path)``; a file that is not YAML is a ``ValueError`` naming the run."""
    try:
        return OmegaConf.load(path)
    except _UNREADABLE as error:
        raise ValueError(f"run {run_dir}: {path.name} is not readable YAML: {_one_line(error)}") from None


def _parse_overrides(path: Path, run_dir: Path) -> dict[str, str]:
    """``{key or group: value}`` of a ``.hydra/overrides.yaml`` (a list of Hydra overrides)."""
    overrides = _load_yaml(path, run_dir)
    if not isinstance(overrides, ListConfig) or not all(isinstance(item, str) for item in overrides):
        raise ValueError(f"run {run_dir}: {path} is not a list of Hydra overrides (key=value strings)")
    try:
        parsed = OverridesParser.create().parse_overrides(list(overrides))
    except _UNREADABLE as error:
        raise ValueError(f"run {run_dir}: {path} holds an override Hydra cannot parse: {_one_line(error)}") from None
    return {o.key_or_group: o.get_value_element_as_str() for o in parsed}


def _one_line(error: BaseException) -> str:
    """The first line of an exception's message (Hydra and YAML add hints and positions)."""
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


def sweep_table(root: str | Path) -> pd.DataFrame:
    """One row per run (index: its path relative to ``root``): settings that differ, then
    the contract metrics. When runs have a distance, a first column ``family`` (``learned``
    / ``handcrafted``) and the rows grouped by it, learned first, so that learned and
    handcrafted distances read side by side.

    Raises
    ------
    FileNotFoundError
        ``root`` holds no run with a ``metrics.json``.
    """
    root = Path(root)
    runs = find_runs(root)
    if not runs:
        raise FileNotFoundError(f"no run directory with a {METRICS} under {root}")
    settings, metrics, families = {}, {}, {}
    for run in runs:
        name = run.relative_to(root).as_posix()
        settings[name], _ = run_settings(run)
        families[name] = run_family(run)
        try:
            metrics[name] = json.loads((run / METRICS).read_text())
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            raise ValueError(f"{run / METRICS} is not valid JSON: {err}") from err
        if not isinstance(metrics[name], dict):
            kind = type(metrics[name]).__name__
            raise ValueError(f"{run / METRICS} is not a JSON object of metrics (it is a {kind})")
    settings = pd.DataFrame.from_dict(settings, orient="index")
    if len(settings) > 1:
        settings = settings.loc[:, settings.astype(str).nunique(dropna=False) > 1]
    metrics = pd.DataFrame.from_dict(metrics, orient="index")
    metrics = metrics[[key for key in CONTRACT_KEYS if key in metrics.columns]]
    table = settings.join(metrics, how="right") if len(settings.columns) else metrics
    table.index.name = "run"
    if any(families.values()):
        family = pd.Series(families).reindex(table.index)
        table.insert(0, "family", family)
        rank = family.map({name: position for position, name in enumerate(FAMILIES)}).fillna(len(FAMILIES))
        table = table.iloc[np.argsort(rank.to_numpy(), kind="stable")]
    return table


def _format(value) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:.4g}"
    return str(value)


def key_figures(run_dir: Path, within: Path | None = None) -> tuple[dict[str, Path], list[Path]]:
    """The key figures a run wrote (``<name>.png`` anywhere under its directory).

    Parameters
    ----------
    run_dir : Path
    within : Path, optional
        The sweep directory (default ``run_dir``): a figure that resolves outside it (a
        symlink to elsewhere) is not returned, since the report would link a file the sweep
        does not hold.

    Returns
    -------
    found : dict name -> Path
    outside : list of Path
        Figures left out because they resolve outside ``within``.
    """
    within = (within or run_dir).resolve()
    found, outside = {}, []
    for name in KEY_FIGURES:
        for path in sorted(run_dir.rglob(f"{name}.png"), key=_natural_key):
            if path.resolve().is_relative_to(within):
                found[name] = path
                break
            outside.append(path)
    return found, outside


#: Characters that start Markdown markup inside a line (escaped with a backslash);
#: ``_`` only where it can start or end emphasis, i.e. not between two letters or digits.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*\[\]!|~#]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9]))")


def markdown_text(value) -> str:
    """``value`` as inert Markdown on one line: HTML escaped, Markdown markup characters
    backslash-escaped, line breaks as ``<br>``.

    >>> markdown_text("<script>a|b</script>")
    '&lt;script&gt;a\\\\|b&lt;/script&gt;'
    """
    text = html.escape(str(value), quote=False)
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    return "<br>".join(text.splitlines()) if text else text


def link_target(path: str) -> str:
    """A relative link as a Markdown or HTML link destination: percent-encoded, so that
    spaces, brackets, quotes and markup cannot end or change the link, and a run directory
    named like ``javascript:...`` stays a relative path."""
    return quote(path, safe="/")


def _markdown_table(table: pd.DataFrame, links: dict[str, str]) -> str:
    header = [table.index.name, *table.columns]
    lines = ["| " + " | ".join(map(markdown_text, header)) + " |", "|" + "---|" * len(header)]
    for run, row in table.iterrows():
        cells = [f"[{markdown_text(run)}]({link_target(links[run])})", *(markdown_text(_format(v)) for v in row)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _html_page(title: str, table: pd.DataFrame, links: dict[str, str],
               figures: dict[str, dict[str, str]], outside: list[str]) -> str:
    # every text of the page comes from configs or data (override values, run names,
    # metric names): escaped, so that a value such as <img onerror=...> stays text
    formatted = table.map(lambda value: html.escape(_format(value)))
    formatted.columns = [html.escape(str(column)) for column in table.columns]
    formatted.index = [f'<a href="{html.escape(link_target(links[run]))}">{html.escape(run)}</a>'
                       for run in table.index]
    rows = "".join(
        f"<tr><th>{html.escape(run)}</th>" + "".join(
            f'<td><a href="{html.escape(link_target(src))}"><img src="{html.escape(link_target(src))}" width="260" '
            f'alt="{html.escape(name)}" title="{html.escape(name)}"></a></td>'
            for name, src in found.items()) + "</tr>"
        for run, found in figures.items() if found)
    skipped = "".join(f"<li>{html.escape(path)}</li>" for path in outside)
    note = f"<p>{html.escape(OUTSIDE_NOTE)}</p><ul>{skipped}</ul>" if skipped else ""
    return html_document(
        title,
        f"<p>{len(table)} runs.</p>" + formatted.to_html(escape=False, index_names=False)
        + ("<h2>Figures</h2>" if rows or note else "") + (f"<table>{rows}</table>" if rows else "") + note,
    )


def html_document(title: str, body: str) -> str:
    """A report page: ``title`` (plain text, escaped here) as title and heading, then ``body``
    (HTML, whose texts the caller has escaped), in the reports' style."""
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>body{{font-family:sans-serif}} "
        "table{border-collapse:collapse} td,th{border:1px solid #ccc;padding:3px 6px;"
        "text-align:right}</style></head><body>"
        f"<h1>{html.escape(title)}</h1>" + body + "</body></html>\n"
    )


#: What the reports say under the figures they do not link.
OUTSIDE_NOTE = "Not linked: these figures resolve (through a symlink) outside the sweep directory."


def write_report(root: str | Path, out: str | Path | None = None) -> dict[str, Path]:
    """Write ``report.md`` and ``report.html`` of the sweep in ``root`` into ``out``
    (default ``root``); links are relative, so the reports move with the sweep directory.

    Returns
    -------
    dict
        ``{"markdown": path, "html": path}``.
    """
    root = Path(root)
    table = sweep_table(root)
    out = output_directory(out if out is not None else root, what="report directory")

    def link(path: Path) -> str:
        return Path(os.path.relpath(path, out)).as_posix()

    links = {run: link(root / run) + "/" for run in table.index}
    figures, outside = {}, []
    for run in table.index:
        found, elsewhere = key_figures(root / run, within=root)
        figures[run] = {name: link(path) for name, path in found.items()}
        outside += [path.relative_to(root).as_posix() for path in elsewhere]
    title = f"Sweep report: {root}"
    md = [f"# {markdown_text(title)}", "", f"{len(table)} runs.", "", _markdown_table(table, links), ""]
    if any(figures.values()) or outside:
        md += ["## Figures", ""]
        for run, found in figures.items():
            if found:
                md += [f"### {markdown_text(run)}", "",
                       *(f"![{markdown_text(name)}]({link_target(src)})" for name, src in found.items()), ""]
        if outside:
            md += [OUTSIDE_NOTE, "", *(f"- {markdown_text(path)}" for path in outside), ""]
    paths = {"markdown": out / "report.md", "html": out / "report.html"}
    atomic_write(paths["markdown"], lambda tmp: tmp.write_text("\n".join(md)))
    page = _html_page(title, table, links, figures, outside)
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
        try:
            if find_runs(root):
                write_report(root)
        except USER_ERRORS as error:  # the runs are done and written: a bad run directory costs the report only
            log.warning("sweep report not written: %s", error_line(error).removeprefix("error: "))


def main(argv: Sequence[str] | None = None) -> dict[str, Path]:
    """``python -m cbred.report MULTIRUN_DIR [--out DIR]``; a bad sweep (a missing directory,
    an unreadable run file) is one ``error:`` line naming it and exit status 2."""
    parser = argparse.ArgumentParser(prog="python -m cbred.report", description=__doc__.split("\n")[0])
    parser.add_argument("multirun_dir", type=Path, help="the Hydra sweep directory")
    parser.add_argument("--out", type=Path, default=None,
                        help="directory of report.md / report.html (default: MULTIRUN_DIR)")
    args = parser.parse_args(argv)
    paths = run_cli(lambda parsed: write_report(parsed.multirun_dir, parsed.out), args, output_key=None)
    for path in paths.values():
        print(path)
    return paths


if __name__ == "__main__":
    main()
