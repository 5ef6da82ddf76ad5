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


@pytest.fixture(scope="module")
def sampled_tf(tf_path, tmp_path_factory):
    """A TF table of 2,000 NB201 cells: what a space too large to list has (synthetic statistics)."""
    table = pd.read_parquet(tf_path)
    path = tmp_path_factory.mktemp("sampled-tf") / "tf_2000.parquet"
    table.loc[NB201Space().sample(2000, random_state=0)].to_parquet(path)
    return path


@pytest.mark.slow
def test_search_with_a_training_function_on_nb201_treated_as_non_enumerable(sampled_tf, tmp_path):
    from cbred.api import load_inputs, reduce_from_config

    overrides = ["search.evaluator=cbred.search.standin:train", "+space.max_enumerable=1000",
                 f"tfstats.path={sampled_tf}", f"output_dir={tmp_path}", "search.n_runs=2", "search.budget=12",
                 "strategy=[rea,random,local]", "plots.enabled=false"]
    cfg = _compose(*overrides)
    metrics = run(cfg)
    assert not any(key.startswith(("threshold/", "speedup/")) for key in metrics)  # no table, no targets
    for subset in ("full", "reduced"):
        for strategy in ("rea", "random", "local"):
            assert metrics[f"{subset}/{strategy}/n_runs"] == 2 and f"{subset}/{strategy}/best_at_10" in metrics
    assert metrics["reduced/n_listed"] <= 2000 and 0 < metrics["reduced/n_selected"] < 100
    table = pd.read_csv(tmp_path / "search.csv")
    assert list(table.columns) == ["subset", "strategy", "run", "query", "arch", "accuracy", "best_so_far", "cost"]
    assert len(table) == 2 * 3 * 2 * 12
    reduction = reduce_from_config(cfg, load_inputs(cfg)[0])
    reduced = table.loc[table["subset"] == "reduced", "arch"]
    assert reduction.contains_many(reduced).all()  # every query of the reduced search is in the region
    assert not set(reduced) <= set(reduction.archs)  # ... which reaches beyond the 2,000 listed cells
    assert run(_compose(*overrides)) == metrics  # replayed from the query log


def test_search_with_a_training_function_refuses_what_needs_a_table(synthetic, tmp_path):
    from search import evaluator_function

    path, run_dir, _ = synthetic
    evaluator = ["search.evaluator=cbred.search.standin:train", f"output_dir={tmp_path}"]
    with pytest.raises(ValueError, match=r"\['quantiled'\] cannot be searched with search.evaluator"):
        run(_compose(*evaluator, "space_subset=[full,quantiled]"))
    with pytest.raises(ValueError, match="two oracles"):
        run(_compose(*evaluator, f"benchmark.path={path}", "benchmark.metric=acc"))
    with pytest.raises(ValueError, match="search.reduction_dir holds a listed selection"):
        run(_compose(*evaluator, f"search.reduction_dir={run_dir}"))
    with pytest.raises(ValueError, match="'cbred.search.standin' has no attribute 'fit'"):
        run(_compose("search.evaluator=cbred.search.standin:fit", f"output_dir={tmp_path}", "space_subset=full"))
    assert evaluator_function({"_target_": "cbred.search.standin.train", "_partial_": True})(
        "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|") == 10.0
    with pytest.raises(ValueError, match="_partial_: true"):
        evaluator_function({"_target_": "cbred.search.standin.train"})
