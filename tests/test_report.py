"""Sweep report of a fake 2 x 2 Hydra multirun written by the test."""

from __future__ import annotations

import html
import json
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from cbred.report import (CONTRACT_KEYS, ReportCallback, key_figures, link_target, main, markdown_text, sweep_table,
                          write_report)

GRID = [("hellinger", "kmeans"), ("hellinger", "spectral"),
        ("transformation", "kmeans"), ("transformation", "spectral")]


def _metrics(i: int) -> dict:
    return {
        "n_archs": 15625, "n_clusters": 4 + i, "selected_cluster": i, "selected_size": 1000 + i,
        "stability": 0.8 + i / 100, "full/acc_mean": 87.06, "selected/acc_mean": 90.0 + i / 8,
        "selected/acc_std": 2.5, "full/best_of_10": 93.1, "selected/best_of_10": 93.5,
        "quantiled/best_of_10": 93.4, "random/best_of_10": 93.0,
        "selected/top1pct_recall": 0.25, "cluster_rank_tau": 0.5 - i / 10,
        "selection/procedure": "ClusterUnion", "budget": 0.01, "quantiled/acc_mean": 90.5, "random/acc_mean": 87.1,
        "full/best_of_100": 94.0, "selected/best_of_100": 94.1, "quantiled/best_of_100": 94.2,
        "random/best_of_100": 93.9, "quantiled/top1pct_recall": 0.3, "random/top1pct_recall": 0.01,
        "seconds/total": 12.3,  # not a contract key: left out
    }


@pytest.fixture
def sweep(tmp_path) -> Path:
    root = tmp_path / "multirun" / "2026-01-01" / "12-00-00"
    for i, (distance, clustering) in enumerate(GRID):
        run = root / str(i)
        (run / ".hydra").mkdir(parents=True)
        overrides = [f"distance={distance}", f"clustering={clustering}", "seed=0"]
        (run / ".hydra" / "overrides.yaml").write_text(OmegaConf.to_yaml(overrides))
        (run / "metrics.json").write_text(json.dumps(_metrics(i)))
        for name in ("scatter_clusters", "edf_accuracy"):
            (run / f"{name}.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (root / "multirun.yaml").write_text("hydra: {}\n")
    (root / "stray").mkdir()  # a directory without metrics.json is not a run
    return root


def test_table_has_one_row_per_run_and_the_differing_overrides(sweep):
    table = sweep_table(sweep)
    assert list(table.index) == ["0", "1", "2", "3"]
    assert list(table.columns) == ["distance", "clustering", *CONTRACT_KEYS]  # seed is constant
    assert list(table["distance"]) == ["hellinger", "hellinger", "transformation", "transformation"]
    assert list(table["clustering"]) == ["kmeans", "spectral", "kmeans", "spectral"]
    assert list(table["selected/acc_mean"]) == [90.0, 90.125, 90.25, 90.375]
    assert list(table["n_clusters"]) == [4, 5, 6, 7]
    assert "seconds/total" not in table.columns


def test_markdown_and_html_reports(sweep):
    paths = main([str(sweep)])
    markdown = paths["markdown"].read_text()
    rows = [line for line in markdown.splitlines() if line.startswith("| [")]
    assert len(rows) == 4
    cells = [cell.strip() for cell in rows[3].strip("|").split("|")]
    assert cells[:3] == ["[3](3/)", "transformation", "spectral"]
    header = [cell.strip() for cell in markdown.splitlines()[4].strip("|").split("|")]
    assert header[:3] == ["run", "distance", "clustering"]
    row = dict(zip(header, cells))
    assert row["selected/acc_mean"] == "90.38" and row["n_archs"] == "15625"
    assert row["cluster_rank_tau"] == "0.2" and row["stability"] == "0.83"
    assert "![scatter_clusters](0/scatter_clusters.png)" in markdown
    assert "![edf_accuracy](3/edf_accuracy.png)" in markdown
    page = paths["html"].read_text()
    assert page.count('<img src="') == 8
    assert page.count("<td>transformation</td>") == 2
    assert '<a href="2/">2</a>' in page


def test_runs_without_overrides_use_their_config(tmp_path):
    for i, eta in enumerate([0.5, 1.0]):
        run = tmp_path / f"job{i}"
        run.mkdir()
        (run / "config.yaml").write_text(OmegaConf.to_yaml(
            {"seed": 0, "clustering": {"estimator": {"eta": eta}}}))
        (run / "metrics.json").write_text(json.dumps({"n_archs": 10, "stability": 0.5 + i}))
    table = sweep_table(tmp_path)
    assert list(table.columns) == ["clustering/estimator/eta", "n_archs", "stability"]
    assert list(table["clustering/estimator/eta"]) == ["0.5", "1.0"]


def test_report_elsewhere_links_back(sweep, tmp_path):
    paths = write_report(sweep, tmp_path / "reports")
    markdown = paths["markdown"].read_text()
    assert "](../multirun/2026-01-01/12-00-00/1/scatter_clusters.png)" in markdown


def test_callback_writes_the_report_at_the_end_of_a_multirun(sweep):
    ReportCallback().on_multirun_end(OmegaConf.create({"hydra": {"sweep": {"dir": str(sweep)}}}))
    assert (sweep / "report.md").is_file() and (sweep / "report.html").is_file()


def test_empty_sweep_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no run directory with a metrics.json"):
        sweep_table(tmp_path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        sweep_table(tmp_path / "nowhere")


def test_cli_reports_a_bad_directory_cleanly(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([str(tmp_path)])
    assert exit_.value.code == 2
    assert "no run directory with a metrics.json" in capsys.readouterr().err


def test_html_escapes_every_value_from_configs_and_data(sweep):
    attack = "<img src=x onerror=alert(1)>"
    overrides = sweep / "0" / ".hydra" / "overrides.yaml"
    overrides.write_text(OmegaConf.to_yaml([f"+note='{attack}'", "distance=hellinger", "clustering=kmeans"]))
    page = main([str(sweep)])["html"].read_text()
    assert attack not in page and "onerror=alert(1)" not in page.replace("&lt;img src=x onerror=alert(1)&gt;", "")
    assert html.escape(attack) in page
    assert page.count("<img ") == 8  # the figures only


@pytest.mark.parametrize("value, text", [
    ("<script>x</script>", "&lt;script&gt;x&lt;/script&gt;"),
    ("a|b", "a\\|b"),
    ("two\nlines", "two<br>lines"),
    ("[click](javascript:x)", "\\[click\\](javascript:x)"),
    ("*bold* `code` ~gone~", "\\*bold\\* \\`code\\` \\~gone\\~"),
    ("_em_ but snake_case", "\\_em\\_ but snake_case"),
    ("a & b", "a &amp; b"),
    (90.38, "90.38"),
])
def test_markdown_text_is_inert(value, text):
    assert markdown_text(value) == text


def test_link_targets_are_percent_encoded_relative_paths():
    assert link_target("3/scatter_clusters.png") == "3/scatter_clusters.png"
    assert link_target("javascript:alert(1)/") == "javascript%3Aalert%281%29/"
    assert link_target("a b)/x.png") == "a%20b%29/x.png"


def test_figures_are_linked_only_inside_the_sweep(sweep, tmp_path):
    outside = tmp_path / "elsewhere.png"
    outside.write_bytes(b"png")
    (sweep / "1" / "op_usage.png").symlink_to(outside)
    (sweep / "2" / "op_usage.png").symlink_to(sweep / "0" / "scatter_clusters.png")  # inside: linked
    found, skipped = key_figures(sweep / "1", within=sweep)
    assert "op_usage" not in found and skipped == [sweep / "1" / "op_usage.png"]
    markdown = write_report(sweep)["markdown"].read_text()
    assert "![op_usage](2/op_usage.png)" in markdown and "(1/op_usage.png)" not in markdown
    assert markdown.rstrip().endswith("outside the sweep directory.\n\n- 1/op_usage.png")  # the note


def test_cli_names_the_run_whose_overrides_do_not_parse(sweep, capsys):
    (sweep / "2" / ".hydra" / "overrides.yaml").write_text("- distance=[unclosed\n")
    with pytest.raises(SystemExit) as exit_:
        main([str(sweep)])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and err.count("\n") == 1
    assert err.startswith(f"error: run {sweep / '2'}: ") and "cannot parse" in err


def test_runs_are_grouped_learned_then_handcrafted_by_their_distance(tmp_path):
    targets = {"0": "cbred.distances.probabilistic.Hellinger", "1": "cbred.learned.distance.LearnedDistance",
               "2": "cbred.distances.transformation.GraphEditDistance", "3": "cbred.learned.distance.LearnedDistance"}
    for name, target in targets.items():
        run = tmp_path / name
        (run / ".hydra").mkdir(parents=True)
        (run / ".hydra" / "config.yaml").write_text(OmegaConf.to_yaml({"distance": {"_target_": target}}))
        (run / ".hydra" / "overrides.yaml").write_text(OmegaConf.to_yaml([f"seed={name}"]))
        (run / "metrics.json").write_text(json.dumps({"n_archs": 10 + int(name)}))
    table = sweep_table(tmp_path)
    assert list(table.index) == ["1", "3", "0", "2"]
    assert list(table.columns) == ["family", "seed", "n_archs"]
    assert list(table["family"]) == ["learned", "learned", "handcrafted", "handcrafted"]
    assert list(table["n_archs"]) == [11, 13, 10, 12]
    page = write_report(tmp_path)["html"].read_text()
    assert page.index("<td>learned</td>") < page.index("<td>handcrafted</td>")


def test_runs_without_a_distance_get_no_family_column(sweep):
    assert "family" not in sweep_table(sweep).columns
