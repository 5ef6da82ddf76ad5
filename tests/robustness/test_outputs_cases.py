"""Issue 25's cases on what a run writes: exports, figures, the sweep report.

One table: every case with the class of outcome it must have,

* ``Raises(type, pattern)``: one exception whose message names the culprit (argument,
  file, directory, run) and no warning on the way;
* ``Warns(category, pattern)``: the result, and exactly one warning that says why;
* ``Holds(check)``: a correct result, ``check(result)`` asserting what correct means.

Each case is reproducible from its ``act(ctx, tmp_path)``: ``ctx`` holds one small
reduction (729 NB201 cells, NeighbourhoodScore, with accuracy) and its space.
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from omegaconf import OmegaConf

from cbred.cli import USAGE_ERROR
from cbred.distances.probabilistic import Hellinger
from cbred.export import ExportWarning, export_selection
from cbred.paths import PROJECT_ROOT
from cbred.pipeline import reduce_space
from cbred.report import ReportCallback, main as report_main, write_report
from cbred.search.evolution import RegularizedEvolution
from cbred.search.plot import anytime_figure
from cbred.selection import NeighbourhoodScore
from cbred.spaces.nb101 import NB101Space, Spec
from cbred.spaces.nb201 import NB201Space
from cbred.viz.distributions import histogram_selected_vs_full
from cbred.viz.reduction import save_figures_of
from tests.small_nb201 import small_reduction


# -- expected outcomes -------------------------------------------------------------------
@dataclass(frozen=True)
class Raises:
    error: type[BaseException]
    pattern: str


@dataclass(frozen=True)
class Warns:
    category: type[Warning]
    pattern: str


@dataclass(frozen=True)
class Holds:
    check: Callable  # check(result, ctx) asserts


# -- inputs ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def ctx():
    space, reduction, accuracy = small_reduction()
    official = pd.DataFrame({"arch": list(NB201Space().ids)[::-1]})  # every NB201 cell, in another order
    return SimpleNamespace(space=space, reduction=reduction, accuracy=accuracy, official=official)


#: "ctx's own argument" in :func:`_export`.
OWN = object()


def _export(ctx, tmp_path, *, reduction=OWN, space=OWN, directory=OWN, order_table=OWN):
    """export_selection with ``ctx``'s arguments, any of them replaced."""
    return export_selection(ctx.reduction if reduction is OWN else reduction, ctx.space if space is OWN else space,
                            tmp_path / "out" if directory is OWN else directory,
                            order_table=ctx.official if order_table is OWN else order_table)


def _file(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def _sweep(tmp_path, runs: dict[str, list | str], figures: dict[str, Path] | None = None) -> Path:
    """A Hydra sweep directory: per run name its overrides (a list, or the raw text of
    ``.hydra/overrides.yaml``) and a metrics.json; ``figures``: ``run/name.png`` -> target of a symlink."""
    root = tmp_path / "sweep"
    for i, (name, overrides) in enumerate(runs.items()):
        run = root / name
        (run / ".hydra").mkdir(parents=True)
        text = overrides if isinstance(overrides, str) else OmegaConf.to_yaml(list(overrides))
        (run / ".hydra" / "overrides.yaml").write_text(text)
        (run / "metrics.json").write_text(json.dumps({"n_archs": 100 + i, "selected_size": 5, "stability": 0.5}))
    for link, target in (figures or {}).items():
        (root / link).symlink_to(target)
    return root


def _without_reference_data(tmp_path, act):
    """``act()`` with ``CBRED_DATA`` pointing at an empty folder."""
    before = os.environ.get("CBRED_DATA")
    os.environ["CBRED_DATA"] = str(tmp_path / "no-data")
    try:
        return act()
    finally:
        if before is None:
            del os.environ["CBRED_DATA"]
        else:
            os.environ["CBRED_DATA"] = before


def _inside_the_sweep(tmp_path, name) -> Path:
    """A file the sweep directory of :func:`_sweep` will hold (a symlink's target)."""
    path = tmp_path / "sweep" / name
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\x89PNG\r\n\x1a\n")
    return path


def _markdown_rows(markdown: str) -> list[list[str]]:
    """Cells of the report's table rows (a cell may hold an escaped ``\\|``)."""
    rows = [line for line in markdown.splitlines() if line.startswith("| [")]
    return [[cell.strip() for cell in re.split(r"(?<!\\)\|", row.strip())[1:-1]] for row in rows]


def _report(tmp_path, runs, figures=None) -> tuple[str, str]:
    paths = write_report(_sweep(tmp_path, runs, figures))
    return paths["markdown"].read_text(), paths["html"].read_text()


SCRIPT = "<script>alert(1)</script>"  # as a value; a run name cannot hold the "/"
IMG = "<img src=x onerror=alert(1)>"


# -- checks of correct results -----------------------------------------------------------
def _in_selection_order(paths, ctx):
    table = pd.read_csv(paths["selection"])
    assert list(table.columns[:3]) == ["arch", "rank", "score"]
    assert table["rank"].tolist() == list(range(1, len(ctx.reduction.selected) + 1))
    assert (np.diff(table["score"].to_numpy()) <= 0).all()  # NeighbourhoodScore orders by its score
    assert set(table["arch"]) == set(ctx.reduction.selected)


def _selected_csv_in_selection_order(files, ctx):
    table = pd.read_csv(files["selected"])
    assert table["rank"].tolist() == list(range(1, len(ctx.reduction.selected) + 1))
    assert set(table["arch"]) == set(ctx.reduction.selected)
    assert (np.diff(table["score"].to_numpy()) <= 0).all()
    # the first n rows are what a budget of n selects
    smaller = reduce_space(ctx.space, ctx.reduction.tf, Hellinger(cache=False), NeighbourhoodScore(), budget=10,
                           statistics=list(ctx.reduction.tf.columns))
    assert set(table["arch"][:10]) == set(smaller.selected)


def _inert(result, ctx):
    markdown, page = result
    for text in (markdown, page):
        assert "<script" not in text and "<img src=x" not in text and "onerror=alert(1)>" not in text
        assert "&lt;script&gt;alert(1)" in text and "&lt;img src=x onerror=alert(1)&gt;" in text


def _one_row_per_run_one_cell_per_column(result, ctx):
    markdown, page = result
    header = [cell.strip() for cell in markdown.splitlines()[4].strip("|").split("|")]
    rows = _markdown_rows(markdown)
    assert len(rows) == 2 and all(len(row) == len(header) for row in rows), rows
    assert any("a\\|b<br>c" in cell for cell in rows[0]), rows[0]  # one cell, on one line
    assert re.search(r"<td>[^<]*a\|b[^<]*c[^<]*</td>", page)  # HTML: one table cell, whatever it holds


def _figure_outside_skipped_with_a_note(result, ctx):
    markdown, page = result
    assert "![edf_accuracy](0/edf_accuracy.png)" in markdown  # a symlink inside the sweep: linked
    assert "(1/scatter_clusters.png)" not in markdown and "Not linked" in markdown
    assert "- 1/scatter_clusters.png" in markdown
    assert 'src="0/edf_accuracy.png"' in page and 'src="1/scatter_clusters.png"' not in page and "Not linked" in page


def _link_stays_relative(result, ctx):
    markdown, page = result
    assert "](javascript%3Aalert%281%29/)" in markdown and 'href="javascript%3Aalert%281%29/"' in page
    assert "](javascript:" not in markdown and 'href="javascript:' not in page


def _axis_names_the_metric(figure, ctx):
    labels = [ax.get_xlabel() for ax in figure.axes if ax.get_xlabel()]
    assert any(label.startswith("test_acc") for label in labels), labels
    assert not any(label.startswith("accuracy") for label in labels), labels


def _rea_panel_says_its_first_draws_are_random_searchs(figure, ctx):
    rea, random = figure.axes[:2]
    notes = [text.get_text() for text in rea.texts]
    assert any("1-20" in note and "random search" in note for note in notes), notes
    assert not any("random search" in text.get_text() for text in random.texts)


def _summary_without_the_verdicts_numbers(text, ctx):
    assert "mean test_acc" not in text and "best-of-" not in text and "selected: 50 architectures" in text
    assert "mean test_acc" in ctx.reduction.summary()  # the API's summary keeps them


def _logged_not_raised(messages, ctx):
    assert len(messages) == 1 and re.search(r"sweep report not written: run \S*/0: ", messages[0]), messages


def _callback_on(root: Path) -> list[str]:
    """ReportCallback at the end of a multirun in ``root``; the warnings it logged."""
    records = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = lambda record: records.append(record.getMessage())
    logger = logging.getLogger("cbred.report")
    logger.addHandler(handler)
    try:
        ReportCallback().on_multirun_end(OmegaConf.create({"hydra": {"sweep": {"dir": str(root)}}}))
    finally:
        logger.removeHandler(handler)
    return records


# -- the cases -------------------------------------------------------------------------
def _cases():
    return [
        # exports
        ("export-space-none", lambda ctx, tmp: _export(ctx, tmp, space=None),
         Raises(TypeError, r"export_selection: space must be a SearchSpace instance.*got NoneType None")),
        ("export-space-a-name", lambda ctx, tmp: _export(ctx, tmp, space="nb201"),
         Raises(TypeError, r"export_selection: space must be a SearchSpace instance.*NB201Space\(\).*got str 'nb201'")),
        ("export-reduction-none", lambda ctx, tmp: _export(ctx, tmp, reduction=None),
         Raises(TypeError, r"export_selection: reduction must be a Reduction.*got NoneType None")),
        ("export-space-of-another-reduction", lambda ctx, tmp: _export(
            ctx, tmp, space=NB101Space.from_specs([Spec.from_raw([[0, 1], [0, 0]], ["input", "output"])])),
         Raises(ValueError, r"export_selection: space is 'nb101' but the reduction is of 'nb201'")),
        ("export-directory-none", lambda ctx, tmp: _export(ctx, tmp, directory=None),
         Raises(TypeError, r"export_selection: directory must be a path, got NoneType None")),
        ("export-order-table-a-number", lambda ctx, tmp: _export(ctx, tmp, order_table=201),
         Raises(TypeError, r"export_selection: order_table must be a path or a DataFrame, got int 201")),
        ("export-order-table-of-nb101", lambda ctx, tmp: _export(ctx, tmp, order_table=_file(
            tmp, "nb101_20k.csv", "hash,params,val_acc_108\n00005c142e6f48ac74fdcf73e3439874,8555530,0.93\n")),
         Raises(ValueError, r"NATS-Bench order table \S*nb101_20k\.csv has no 'arch' column.*NB201 cell")),
        ("export-order-table-of-other-cells", lambda ctx, tmp: _export(ctx, tmp, order_table=_file(
            tmp, "darts.csv", "arch\n" + "\n".join(f"genotype-{i}" for i in range(15_625)) + "\n")),
         Raises(ValueError, r"50 cells are not in NATS-Bench order table \S*darts\.csv.*NB201 cells")),
        ("export-order-table-of-a-sample", lambda ctx, tmp: _export(ctx, tmp, order_table=_file(
            tmp, "zc_sample.csv", "arch\n" + "\n".join(list(NB201Space().ids)[:9445]) + "\n")),
         Raises(ValueError, r"order table \S*zc_sample\.csv has 9,445 rows, not the 15,625 cells of NB201")),
        ("export-directory-is-a-file", lambda ctx, tmp: _export(ctx, tmp, directory=_file(tmp, "taken", "x")),
         Raises(NotADirectoryError, r"export_selection: directory \S*taken is a file, not a directory")),
        ("export-directory-under-a-file", lambda ctx, tmp: _export(
            ctx, tmp, directory=_file(tmp, "taken", "x") / "run"),
         Raises(NotADirectoryError, r"directory \S*taken/run cannot be created: \S*taken is a file")),
        ("export-without-reference-data", lambda ctx, tmp: _without_reference_data(
            tmp, lambda: _export(ctx, tmp, order_table=None)),
         Warns(ExportWarning, r"nats_bench_index left empty: reference data file 'nb201_cifar10\.csv' not found")),
        ("export-in-selection-order", lambda ctx, tmp: _export(ctx, tmp), Holds(_in_selection_order)),
        ("selected-csv-in-selection-order", lambda ctx, tmp: ctx.reduction.write(tmp),
         Holds(_selected_csv_in_selection_order)),
        # figures
        ("figures-into-a-file", lambda ctx, tmp: save_figures_of(
            ctx.reduction, ctx.space, _file(tmp, "figs", "x"), accuracy=ctx.accuracy),
         Raises(NotADirectoryError, r"figure directory \S*figs is a file, not a directory")),
        ("figures-under-dev-null", lambda ctx, tmp: save_figures_of(
            ctx.reduction, ctx.space, "/dev/null/figs", accuracy=ctx.accuracy),
         Raises(NotADirectoryError, r"figure directory /dev/null/figs cannot be created: /dev/null is a file")),
        ("hist-accuracy-axis-names-the-metric", lambda ctx, tmp: histogram_selected_vs_full(
            pd.DataFrame({"ntk_cond": ctx.reduction.tf["ntk_cond"], "accuracy": ctx.accuracy}),
            ctx.reduction.selected, titles={"accuracy": "test_acc on nb201_cifar10"},
            labels={"accuracy": "test_acc"}),
         Holds(_axis_names_the_metric)),
        ("anytime-rea-shares-random-draws", lambda ctx, tmp: anytime_figure(
            {"rea": {"full": np.maximum.accumulate(np.random.default_rng(0).uniform(80, 95, (4, 60)), axis=1)},
             "random": {"full": np.maximum.accumulate(np.random.default_rng(0).uniform(80, 95, (4, 60)), axis=1)}},
            shared_draws={"rea": RegularizedEvolution().shared_random_draws, "random": 0}),
         Holds(_rea_panel_says_its_first_draws_are_random_searchs)),
        # the verdict is printed once: reduce.py logs the summary without the verdict's numbers
        ("summary-leaves-the-verdicts-numbers", lambda ctx, tmp: ctx.reduction.summary(evaluation=False),
         Holds(_summary_without_the_verdicts_numbers)),
        # the sweep report
        ("report-script-and-img-in-values", lambda ctx, tmp: _report(
            tmp, {"0": [f"+note='{SCRIPT}'", "seed=0"], "1": [f"+note='{IMG}'", "seed=1"]}),
         Holds(_inert)),
        ("report-script-and-img-in-run-names", lambda ctx, tmp: _report(
            tmp, {"<script>alert(1)": ["seed=0"], IMG: ["seed=1"]}),
         Holds(_inert)),
        ("report-pipe-and-newline-in-a-value", lambda ctx, tmp: _report(
            tmp, {"0": ["+note='a|b\nc'", "seed=0"], "1": ["+note=plain", "seed=1"]}),
         Holds(_one_row_per_run_one_cell_per_column)),
        ("report-figure-symlinked-outside", lambda ctx, tmp: _report(
            tmp, {"0": ["seed=0"], "1": ["seed=1"]},
            figures={"0/edf_accuracy.png": _inside_the_sweep(tmp, "shared/edf.png"),
                     "1/scatter_clusters.png": _file(tmp.parent, f"{tmp.name}-outside.png", "png")}),
         Holds(_figure_outside_skipped_with_a_note)),
        ("report-run-named-like-a-url", lambda ctx, tmp: _report(
            tmp, {"javascript:alert(1)": ["seed=0"], "1": ["seed=1"]}),
         Holds(_link_stays_relative)),
        ("report-unparsable-overrides", lambda ctx, tmp: write_report(_sweep(
            tmp, {"0": ["seed=0"], "1": "- distance=[unclosed\n"})),
         Raises(ValueError, r"run \S*sweep/1: \S*overrides\.yaml holds an override Hydra cannot parse")),
        ("report-overrides-not-yaml", lambda ctx, tmp: write_report(_sweep(tmp, {"0": "{{{:\n"})),
         Raises(ValueError, r"run \S*sweep/0: overrides\.yaml is not readable YAML")),
        ("report-overrides-not-a-list", lambda ctx, tmp: write_report(_sweep(tmp, {"0": "- 3\n"})),
         Raises(ValueError, r"run \S*sweep/0: \S*overrides\.yaml is not a list of Hydra overrides")),
        ("report-callback-with-a-bad-run", lambda ctx, tmp: _callback_on(_sweep(tmp, {"0": "- distance=[unclosed\n"})),
         Holds(_logged_not_raised)),
    ]


CASES = _cases()


@pytest.mark.parametrize("case", [pytest.param(c, id=c[0]) for c in CASES])
def test_every_case_has_its_expected_outcome(case, ctx, tmp_path):
    name, act, expected = case
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if isinstance(expected, Raises):
            with pytest.raises(expected.error) as raised:
                act(ctx, tmp_path)
            message = str(raised.value)
            assert re.search(expected.pattern, message), message
            assert "\n" not in message  # one line
        else:
            result = act(ctx, tmp_path)
    ours = [w for w in caught if issubclass(w.category, UserWarning)]
    if isinstance(expected, Warns):
        assert len(ours) == 1 and re.search(expected.pattern, str(ours[0].message)), [str(w.message) for w in ours]
    else:
        assert not ours, [str(w.message) for w in ours]  # e.g. not one FigureWarning per figure
    if isinstance(expected, Holds):
        expected.check(result, ctx)


def test_report_command_with_unparsable_overrides_is_one_error_line(tmp_path):
    root = _sweep(tmp_path, {"0": ["seed=0"], "1": "- distance=[unclosed\n"})
    done = subprocess.run([sys.executable, "-m", "cbred.report", str(root)], capture_output=True, text=True,
                          cwd=PROJECT_ROOT, timeout=120)
    assert done.returncode == USAGE_ERROR
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("error: run "), done.stderr
    assert f"{root / '1'}" in done.stderr and "Traceback" not in done.stderr
    assert not (root / "report.md").exists()


def test_report_main_returns_exit_status_2_in_process(tmp_path, capsys):
    root = _sweep(tmp_path, {"0": "{{{:\n"})
    with pytest.raises(SystemExit) as stopped:
        report_main([str(root)])
    err = capsys.readouterr().err
    assert stopped.value.code == USAGE_ERROR and err.count("error:") == 1 and str(root / "0") in err
