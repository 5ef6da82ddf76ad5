"""search.py through Hydra's compose API: sub-spaces, strategies, metrics, resuming in place."""

import json

import numpy as np
import pandas as pd
import pytest
from hydra import compose, initialize_config_dir

from cbred.spaces.nb201 import NB201Space
from cbred.paths import PROJECT_ROOT
from search import run

CONFIGS = str(PROJECT_ROOT / "configs")
KEYS = ["queries_to_top1pct_median", "queries_to_top01pct_median", "best_at_10", "best_at_50"]


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    """An accuracy table of all NB201 cells and a reduce.py-like run directory."""
    space = NB201Space()
    rng = np.random.default_rng(0)
    convs = np.isin(space.codes, [2, 3]).sum(axis=1)
    accuracy = pd.Series(80 + 2 * convs + rng.normal(0, 1, len(convs)), index=pd.Index(space.ids, name="arch"))
    root = tmp_path_factory.mktemp("search-inputs")
    accuracy.rename("acc").to_frame().to_csv(root / "acc.csv")
    tf_rank = (accuracy + rng.normal(0, 2, len(accuracy))).rank(pct=True)
    clusters = pd.DataFrame({"cluster": (convs >= 5).astype(int), "tf_rank": tf_rank}, index=accuracy.index)
    run_dir = root / "reduction"
    run_dir.mkdir()
    clusters.to_csv(run_dir / "clusters.csv")
    clusters[clusters["cluster"] == 1].to_csv(run_dir / "selected.csv")
    return root / "acc.csv", run_dir, accuracy


def _compose(*overrides):
    with initialize_config_dir(config_dir=CONFIGS, version_base="1.3"):
        return compose("search", overrides=["logger=none", "search.n_boot=200", *overrides])


@pytest.mark.slow
def test_search_from_a_reduction_directory_writes_the_run_directory_and_resumes(synthetic, tmp_path):
    path, run_dir, accuracy = synthetic
    overrides = [f"benchmark.path={path}", "benchmark.metric=acc", f"search.reduction_dir={run_dir}",
                 f"output_dir={tmp_path}", "search.n_runs=4", "search.budget=60",
                 "space_subset=[full,reduced,quantiled,random]", "strategy=[rea,random,local]"]
    cfg = _compose(*overrides)
    assert list(cfg.strategy) == ["rea", "random", "local"]
    metrics = run(cfg)
    written = json.loads((tmp_path / "metrics.json").read_text())  # strict JSON: no NaN / Infinity
    assert written == metrics
    for subset in ("full", "reduced", "quantiled", "random"):
        for strategy in ("rea", "random", "local"):
            assert all(f"{subset}/{strategy}/{key}" in metrics for key in KEYS)
        if subset != "full":
            assert f"speedup/{subset}/rea/top1pct" in metrics
    n_selected = int((pd.read_csv(run_dir / "clusters.csv")["cluster"] == 1).sum())
    assert metrics["reduced/size"] == metrics["quantiled/size"] == metrics["random/size"] == n_selected
    assert metrics["threshold/top1pct"] == pytest.approx(accuracy.nlargest(157).min())
    table = pd.read_csv(tmp_path / "search.csv")
    assert list(table.columns) == ["subset", "strategy", "run", "query", "arch", "accuracy", "best_so_far"]
    assert len(table) == 4 * 3 * 4 * 60
    assert (table["accuracy"].to_numpy() == accuracy[table["arch"]].to_numpy()).all()
    reduced = table[table["subset"] == "reduced"]
    selected = pd.read_csv(run_dir / "selected.csv")["arch"]
    assert set(reduced["arch"]) <= set(selected)  # mutations restricted to the sub-space by default
    assert (tmp_path / "anytime.png").stat().st_size > 10_000
    n_logged = len((tmp_path / "queries.jsonl").read_text().splitlines())
    assert n_logged == len(table)

    again = run(_compose(*overrides))  # the same directory: every query replayed from the log
    assert again == metrics
    assert len((tmp_path / "queries.jsonl").read_text().splitlines()) == n_logged


def test_full_against_random_needs_no_reduction(synthetic, tmp_path):
    path, _, _ = synthetic
    cfg = _compose(f"benchmark.path={path}", "benchmark.metric=acc", f"output_dir={tmp_path}",
                   "space_subset=[full,random]", "search.subset_size=0.01", "strategy=rea",
                   "search.n_runs=3", "search.budget=30", "plots.enabled=false", "search.log=null")
    metrics = run(cfg)
    assert metrics["random/size"] == 156 and metrics["full/size"] == 15625
    assert "speedup/random/rea/top1pct" in metrics and "full/random/n_runs" not in metrics
    assert not (tmp_path / "queries.jsonl").exists() and not (tmp_path / "anytime.png").exists()


def test_search_refuses_a_run_without_oracle_or_with_an_unknown_subset(synthetic, tmp_path):
    with pytest.raises(ValueError, match="accuracy table"):
        run(_compose(f"output_dir={tmp_path}"))
    path, _, _ = synthetic
    with pytest.raises(ValueError, match="unknown sub-space"):
        run(_compose(f"benchmark.path={path}", "benchmark.metric=acc", f"output_dir={tmp_path}",
                     "space_subset=[full,best]"))


@pytest.mark.slow
@pytest.mark.data
def test_default_search_computes_the_reduction(nb201_csv, tmp_path):
    metrics = run(_compose("benchmark=nb201_cifar10", f"output_dir={tmp_path}", "search.n_runs=3",
                           "search.budget=20", "plots.enabled=false"))
    assert 0 < metrics["reduced/size"] < metrics["full/size"]
    for key in ("speedup/reduced/rea/top1pct", "speedup/reduced/random/top1pct", "full/rea/best_at_10"):
        assert key in metrics
