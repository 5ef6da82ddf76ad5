"""What reduce.py shows a researcher: the verdict at the end, figures that never cost the run,
every layout with every kind of distance, --help limited to its own groups, logger=csv."""

from __future__ import annotations

import json
import logging
import subprocess
import sys

import pytest
from hydra import compose, initialize_config_dir

import reduce
from cbred.paths import PROJECT_ROOT
from cbred.viz.figures import FigureWarning

CONFIGS = str(PROJECT_ROOT / "configs")


def _compose(tf_path, tmp_path, *overrides):
    with initialize_config_dir(config_dir=CONFIGS, version_base="1.3"):
        return compose("reduce", overrides=[f"tfstats.path={tf_path}", f"output_dir={tmp_path}", "logger=none",
                                            "distance=hellinger", "plots.enabled=false", *overrides])


def test_the_run_ends_with_the_verdict_and_exports(tf_path, tmp_path, nb201_csv, caplog):
    cfg = _compose(tf_path, tmp_path, "benchmark=nb201_cifar10")
    with caplog.at_level(logging.INFO, logger="reduce"):
        metrics = reduce.run(cfg)
    text = caplog.text
    assert "mean test_acc" in text and "best-of-100" in text and "top-1% recall" in text
    assert "Quantiled" in text and "random" in text
    assert (tmp_path / "selected_nb201.csv").is_file()
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["n_selected"] == metrics["selected_size"] == 156 and manifest["config"]["distance"]["_target_"].endswith("Hellinger")


def test_a_failing_figure_never_loses_the_reduction(tf_path, tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise ValueError("a figure bug")

    monkeypatch.setattr(reduce, "save_figures_of", broken)
    cfg = _compose(tf_path, tmp_path, "plots.enabled=true")
    with pytest.warns(FigureWarning, match="a figure bug"):
        metrics = reduce.run(cfg)
    assert metrics["selected_size"] == 156
    assert json.loads((tmp_path / "metrics.json").read_text())["selected_size"] == 156


@pytest.mark.slow
@pytest.mark.parametrize("distance,layout", [("hellinger", "mds"), ("hellinger", "tsne"), ("transformation_edge", "pca")])
def test_every_layout_with_a_matrix_or_an_embedding(tf_path, tmp_path, distance, layout):
    cfg = _compose(tf_path, tmp_path, f"distance={distance}", "plots.enabled=true", f"plots.layout={layout}",
                   "plots.max_points=300")
    reduce.run(cfg)
    assert (tmp_path / "scatter_clusters.png").is_file() and (tmp_path / "scatter_ntk_cond.png").is_file()


def test_help_lists_only_the_groups_reduce_uses():
    text = reduce.config_groups("reduce")
    groups = [line.split(":")[0] for line in text.splitlines()]
    assert groups == ["space", "distance", "clustering", "selection", "variant", "constraints", "tfstats",
                      "benchmark", "logger", "experiment"]
    assert "_stability" not in text and "_budget" not in text
    assert "neighbourhood" in text and "csv" in text


@pytest.mark.slow
def test_help_on_the_command_line():
    result = subprocess.run([sys.executable, "reduce.py", "--help"], cwd=PROJECT_ROOT, capture_output=True,
                            text=True, check=True)
    groups = result.stdout.split("== Config ==")[0]
    assert "distance: hellinger" in groups
    for private in ("trainer:", "model:", "datamodule:", "_stability", "strategy:"):
        assert private not in groups


def test_logger_csv_composes(tf_path, tmp_path):
    cfg = _compose(tf_path, tmp_path, "logger=csv")
    assert cfg.logger._target_ == "cbred.tracking.CsvTracker"
