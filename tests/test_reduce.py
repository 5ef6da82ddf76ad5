"""reduce.py through Hydra's compose API: the configs compose, run(cfg) writes the run directory."""

import json
import math

import pandas as pd
import pytest
from hydra import compose, initialize_config_dir
from hydra.errors import MissingConfigException
from hydra.utils import instantiate
from omegaconf import OmegaConf

from cbred.paths import PROJECT_ROOT
from reduce import run

CONFIGS = str(PROJECT_ROOT / "configs")
CONTRACT = ["n_archs", "n_clusters", "selected_cluster", "selected_size", "stability"]
EVALUATION_CONTRACT = ["full/acc_mean", "selected/acc_mean", "selected/acc_std", "full/best_of_10",
                       "selected/best_of_10", "quantiled/best_of_10", "random/best_of_10",
                       "selected/top1pct_recall", "cluster_rank_tau"]


def _compose(tf_path, tmp_path, *overrides, hydra_config=False):
    # small stability grids for the clusterings that have one (kmeans, spectral)
    stability = [] if any(o.startswith("clustering=") and "kmeans_" in o or "agglo" in o for o in overrides) else [
        "clustering.n_resamples=3", "clustering.param_grid.n_clusters=[3,4,5]"]
    with initialize_config_dir(config_dir=CONFIGS, version_base="1.3"):
        return compose(
            "reduce",
            overrides=[f"tfstats.path={tf_path}", f"output_dir={tmp_path}", *stability, "logger=none",
                       "plots.enabled=false", *overrides],
            return_hydra_config=hydra_config,
        )


@pytest.mark.slow
def test_default_run_writes_the_run_directory(tf_path, tmp_path, monkeypatch):
    monkeypatch.setenv("WANDB_MODE", "offline")
    cfg = _compose(tf_path, tmp_path, "logger=wandb", f"logger.dir={tmp_path}", "plots.enabled=true")
    assert cfg.space.name == "nb201" and cfg.dedup is True
    assert cfg.selection.budget == 0.01 and cfg.distance._target_.endswith("EdgeSubstitutionDistance")
    metrics = run(cfg)
    figures = {p.stem for p in tmp_path.glob("*.png")}
    assert {"scatter_clusters", "loo_criterion", "op_usage", "hist_selected_vs_full"} <= figures
    assert len(list((tmp_path / "wandb").glob("offline-run-*/run-*.wandb"))) == 1
    written = json.loads((tmp_path / "metrics.json").read_text())
    strict = {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in metrics.items()}
    assert list(written)[: len(CONTRACT)] == CONTRACT and written == pytest.approx(strict)
    assert written["stability"] is None  # no stability selection: NaN, written as null
    assert metrics["n_archs"] == 15625 and metrics["n_clusters"] == 0 and metrics["selected_cluster"] == -1
    assert metrics["selected_size"] == 156 and metrics["budget"] == 0.01  # 1 % of 15,625
    assert metrics["selection/procedure"] == "NeighbourhoodScore"
    assert not any(key in metrics for key in EVALUATION_CONTRACT)
    clusters = pd.read_csv(tmp_path / "clusters.csv", index_col="arch")
    selected = pd.read_csv(tmp_path / "selected.csv", index_col="arch")
    assert len(clusters) == 15625 and len(selected) == metrics["selected_size"]
    assert clusters.loc[selected.index, "selected"].all() and clusters["selected"].sum() == 156
    assert {"ntk_cond", "linear_regions", "naswot_v1", "naswot_v2"} <= set(clusters.columns)
    saved = OmegaConf.load(tmp_path / "config.yaml")
    assert saved.tfstats.path == str(tf_path) and saved.seed == 0


@pytest.mark.data
@pytest.mark.slow
def test_benchmark_turns_on_the_evaluation(tf_path, tmp_path, nb201_csv):
    metrics = run(_compose(tf_path, tmp_path, "benchmark=nb201_cifar10", "selection=cluster_union", "variant=qc",
                           "selection.budget=500"))
    assert set(EVALUATION_CONTRACT) <= set(metrics)
    assert metrics["full/acc_mean"] == pytest.approx(87.06, abs=0.01)  # the published mean of all cells
    assert metrics["selected/size"] == metrics["selected_size"] == metrics["quantiled/size"] == 500
    assert metrics["selection/procedure"] == "QuantileFirst(ClusterUnion)" and metrics["budget"] == 500


@pytest.mark.data
@pytest.mark.slow
def test_the_default_beats_quantiled_on_cifar10(tmp_path, nb201_csv):
    """The acceptance figure: embedded TF table, default procedure and budget, CIFAR-10 accuracy."""
    with initialize_config_dir(config_dir=CONFIGS, version_base="1.3"):
        cfg = compose("reduce", overrides=[f"output_dir={tmp_path}", "logger=none", "plots.enabled=false",
                                           "benchmark=nb201_cifar10"])
    metrics = run(cfg)
    # 1 % of the 14,884 cells with every default statistic: 341 have no input-output path, 400
    # an identity cell, for which az_trainability is undefined
    assert metrics["excluded/nan_statistics"] == 741
    assert metrics["selected_size"] == metrics["quantiled/size"] == 149
    assert metrics["selected/acc_mean"] > metrics["quantiled/acc_mean"] + 0.1
    assert metrics["selected/best_of_10"] > metrics["quantiled/best_of_10"] + 0.05
    assert metrics["selected/top1pct_recall"] >= metrics["quantiled/top1pct_recall"]


@pytest.mark.slow
def test_bad_inputs_give_one_clear_error_each(tf_path, tmp_path, nb201_csv):
    with pytest.raises(MissingConfigException, match="(?s)clustering/dbscan.*kmeans.*spectral"):
        _compose(tf_path, tmp_path, "clustering=dbscan")
    with pytest.raises(ValueError, match="has no column\\(s\\) \\['val_acc'\\]"):
        run(_compose(tf_path, tmp_path, f"benchmark.path={nb201_csv}", "benchmark.metric=val_acc"))
    with pytest.raises(ValueError, match="K=\\[7000\\] greater than the number of distinct points"):
        run(_compose(tf_path, tmp_path, "selection=cluster_union", "clustering.param_grid.n_clusters=[3,7000]"))
    with pytest.raises(ValueError, match="no architecture of nb201 satisfies the constraints"):
        run(_compose(tf_path, tmp_path, "+constraints.params.max=-1"))
    for budget, message in (("0", "fraction in \\(0, 1\\)"), ("1.5", "must be an integer"),
                            ("20000", "the space has only 15625")):
        with pytest.raises(ValueError, match=f"selection.budget.*{message}"):
            run(_compose(tf_path, tmp_path, f"selection.budget={budget}"))
    assert not (tmp_path / "metrics.json").exists()


@pytest.mark.parametrize("variant", ["c", "qc", "cq"])
@pytest.mark.parametrize("selection", ["neighbourhood", "cluster_union", "tf_quantile"])
@pytest.mark.parametrize("clustering", ["kmeans", "spectral", "agglomerative", "kmeans_multiscale"])
def test_every_option_composes_and_instantiates(tf_path, tmp_path, clustering, selection, variant):
    from cbred.selection import ClusterUnion, NeighbourhoodScore, QuantileAfter, QuantileFirst, TFQuantile

    cfg = _compose(tf_path, tmp_path, f"clustering={clustering}", f"selection={selection}", f"variant={variant}")
    procedure = instantiate(cfg.selection.procedure)
    wrapper = {"c": None, "qc": QuantileFirst, "cq": QuantileAfter}[variant]
    base = procedure if wrapper is None else procedure.selector
    assert wrapper is None or isinstance(procedure, wrapper)
    assert isinstance(base, {"neighbourhood": NeighbourhoodScore, "cluster_union": ClusterUnion,
                             "tf_quantile": TFQuantile}[selection])
    if selection == "cluster_union":
        estimator = base.clusterer.estimator
        assert "random_state" in estimator.get_params()


def test_experiments_compose(tf_path, tmp_path):
    grid = _compose(tf_path, tmp_path, "experiment=nb201_grid", hydra_config=True)
    params = grid.hydra.sweeper.params
    assert set(params.distance.split(",")) >= {"transformation_edge", "hellinger", "learned"}
    assert set(params.selection.split(",")) == {"neighbourhood", "cluster_union"}
    assert grid.benchmark.metric == "test_acc"
    edge = _compose(tf_path, tmp_path, "experiment=edge_gpu")
    assert edge.constraints.edgegpu_latency.max == 4.0
    nb101 = _compose(tf_path, tmp_path, "experiment=nb101")
    assert nb101.space._target_.endswith("NodeDAGSpace") and nb101.space.name == "nb101"
    assert nb101.clustering.max_samples == 20000
    assert nb101.distance._target_.endswith("LearnedDistance") and nb101.tfstats.partial is True
    assert "linear_regions" not in nb101.tfstats.statistics  # saturates on NB101 networks
    assert nb101.distance.checkpoint.endswith("cbred/resources/nb101_encoder.ckpt")


@pytest.mark.slow
def test_two_by_two_multirun_writes_a_report_with_four_rows(tf_path, tmp_path):
    import subprocess
    import sys

    sweep = tmp_path / "sweep"
    command = [
        sys.executable, str(PROJECT_ROOT / "reduce.py"), "-m",
        "distance=hellinger,jensen_shannon", "selection.budget=0.01,0.05", "selection=cluster_union",
        f"tfstats.path={tf_path}", "clustering.n_resamples=2", "clustering.param_grid.n_clusters=[3,4]",
        "logger=none", "plots.enabled=false", f"hydra.sweep.dir={sweep}",
    ]
    subprocess.run(command, check=True, capture_output=True, cwd=tmp_path, timeout=600)
    report = (sweep / "report.md").read_text()
    rows = [line for line in report.splitlines() if line.startswith("| [")]
    assert len(rows) == 4 and (sweep / "report.html").exists()
    assert sum("jensen_shannon" in row and "0.05" in row for row in rows) == 1
