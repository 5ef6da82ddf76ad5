"""benchmarks/selection_quality.py's comparison of learned and handcrafted distances: one
tracker run per procedure (``--logger``) and the offline ``comparison.html`` / ``.md``.

Everything starts from a small quality table, re-logged with ``--table`` as a user would
re-log a committed ``quality.csv``: nothing runs the harness.
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from cbred.paths import PROJECT_ROOT

SCRIPT = PROJECT_ROOT / "benchmarks" / "selection_quality.py"
COMMITTED = PROJECT_ROOT / "benchmarks" / "results" / "selection_quality" / "quality.csv"
#: A procedure name no config knows, with markup in it: it must come out as text.
HOSTILE = "neighbourhood/<script>alert(1)</script>"


@pytest.fixture(scope="module")
def quality():
    """The script as a module (benchmarks/ is not a package)."""
    spec = importlib.util.spec_from_file_location("selection_quality", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def table_csv(tmp_path):
    """Three procedures of the committed table (learned, handcrafted, and one renamed
    hostile), two budgets, two seeds."""
    table = pd.read_csv(COMMITTED)
    keep = ["neighbourhood/learned", "neighbourhood/edge", "neighbourhood/hellinger"]
    table = table[table.procedure.isin(keep) & table.budget.isin([0.01, 0.05]) & table.seed.isin([0, 1])]
    table = table.replace({"procedure": {"neighbourhood/hellinger": HOSTILE}})
    path = tmp_path / "quality.csv"
    table.to_csv(path, index=False)
    return path


@pytest.fixture
def fidelity_csv(tmp_path):
    path = tmp_path / "fidelity.csv"
    pd.DataFrame({"distance": ["learned", "hellinger"], "spearman": [0.95, 0.4],
                  "recall@10": [0.77, 0.25], "pearson": [0.96, 0.48]}).to_csv(path, index=False)
    return path


def test_family_comes_from_the_distance_config(quality):
    assert quality.family_of("neighbourhood/learned") == "learned"
    assert quality.family_of("clusters/agglomerative/learned") == "learned"
    assert quality.family_of("neighbourhood/edge") == "handcrafted"
    assert quality.family_of("neighbourhood/hellinger-wl") == "handcrafted"
    assert quality.family_of(HOSTILE) == "unknown"
    assert quality.distance_of("neighbourhood/hellinger-wl") == "hellinger (wl_subtree)"


def test_csv_logger_gets_one_run_per_procedure(quality, table_csv, fidelity_csv, tmp_path):
    out = tmp_path / "out"
    quality.main(["--table", str(table_csv), "--out", str(out), "--logger", "csv", "--group", "harness-1",
                  "--fidelity", str(fidelity_csv)])
    runs = {json.loads((d / "csv" / "config.json").read_text())["procedure"]: d / "csv"
            for d in (out / "runs").iterdir()}
    assert set(runs) == {"neighbourhood/learned", "neighbourhood/edge", HOSTILE}

    configs = {name: json.loads((root / "config.json").read_text()) for name, root in runs.items()}
    assert {c["group"] for c in configs.values()} == {"harness-1"}
    assert {c["job_type"] for c in configs.values()} == {"selection_quality"}
    assert configs["neighbourhood/learned"]["tags"] == ["learned", "neighbourhood"]
    assert configs["neighbourhood/edge"]["tags"] == ["handcrafted", "neighbourhood"]
    assert configs[HOSTILE]["tags"] == ["unknown", "neighbourhood"]
    # the same key as reduce.py's runs, so that a workspace groups both by distance
    assert configs["neighbourhood/edge"]["choice/distance"] == "transformation_edge"
    assert configs["neighbourhood/learned"]["overrides"] == ["selection=neighbourhood", "distance=learned"]

    learned = runs["neighbourhood/learned"]
    harness = pd.read_csv(learned / "tables_harness.csv", index_col=0)
    assert list(harness.columns) == ["procedure", "seed", "budget", "subset", "size", "acc_mean", "best_of_10",
                                     "best_of_100", "top1pct_recall", "params"]
    assert set(harness.procedure) == {"neighbourhood/learned"} and len(harness) == 2 * 2 * 4
    curve = pd.read_csv(learned / "quality_acc_mean.csv", index_col="budget_pct")
    assert list(curve.index) == [1.0, 5.0]
    assert list(curve.columns) == ["selected", "quantiled", "random", "full"]
    rows = harness[(harness.budget == 0.05) & (harness.subset == "selected")]
    assert curve.at[5.0, "selected"] == pytest.approx(rows.acc_mean.mean())

    metrics = pd.read_csv(learned / "metrics.csv").set_index("key")["value"]
    assert float(metrics["fidelity/spearman"]) == 0.95
    assert float(metrics["acc_mean/selected@5%"]) == pytest.approx(rows.acc_mean.mean())
    fidelity = pd.read_csv(learned / "tables_fidelity.csv", index_col="distance")
    assert list(fidelity.index) == ["learned"]
    # edge has no row in the fidelity table: no fidelity logged, the rest is
    assert not (runs["neighbourhood/edge"] / "tables_fidelity.csv").exists()
    assert "fidelity/spearman" not in set(pd.read_csv(runs["neighbourhood/edge"] / "metrics.csv")["key"])
    images = pd.read_csv(learned / "images.csv")
    assert Path(images.path[0]).is_file()


def test_no_logger_logs_nothing(quality, table_csv, tmp_path):
    quality.main(["--table", str(table_csv), "--out", str(tmp_path / "out")])
    assert not (tmp_path / "out" / "runs").exists()
    assert (tmp_path / "out" / "comparison.html").is_file()


def _strip_tags(page: str) -> str:
    return re.sub(r"<[^>]+>", "", page)


def test_offline_view_groups_families_and_is_escaped(quality, table_csv, fidelity_csv, tmp_path):
    paths = quality.write_comparison(pd.read_csv(table_csv), tmp_path, quality.read_fidelity(fidelity_csv))
    page = paths["html"].read_text()
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    text = _strip_tags(page[page.index("<h2>"):])  # the tables, not the title
    for procedure in ("neighbourhood/learned", "neighbourhood/edge"):
        assert procedure in text
    # one group per family, learned first
    assert text.index("learned distances") < text.index("handcrafted distances") < text.index("unknown distances")
    assert text.index("neighbourhood/learned") < text.index("handcrafted distances") < text.index("neighbourhood/edge")
    for metric in quality.METRICS:
        assert paths[f"figure/{metric}"].is_file()
        assert f'src="comparison_{metric}.png"' in page
    assert "Fidelity to the edit distance" in page and "0.950" in text

    markdown = paths["markdown"].read_text()
    assert "<script>" not in markdown and "&lt;script&gt;" in markdown
    assert "| learned | neighbourhood/learned |" in markdown
    assert "| handcrafted | neighbourhood/edge |" in markdown


@pytest.mark.slow
def test_wandb_offline_runs_share_a_group_and_carry_tags(quality, table_csv, tmp_path, monkeypatch):
    """Real offline W&B runs, read back from their transaction logs."""
    import wandb

    from tests.test_tracking import read_offline_run, read_wandb_log

    monkeypatch.setenv("WANDB_MODE", "offline")
    out = tmp_path / "out"
    quality.main(["--table", str(table_csv), "--out", str(out), "--logger", "wandb"])
    wandb.teardown()  # flushes the transaction logs
    runs = {}
    for run_dir in (out / "runs").glob("*/wandb/offline-run-*"):
        run = read_offline_run(run_dir)
        (log,) = run_dir.glob("run-*.wandb")
        run["tags"] = next(list(r.run.tags) for r in read_wandb_log(log) if r.WhichOneof("record_type") == "run")
        runs[run["name"]] = run
    assert set(runs) == {"neighbourhood/learned", "neighbourhood/edge", HOSTILE}
    assert {run["group"] for run in runs.values()} == {str(out)}
    assert runs["neighbourhood/learned"]["tags"] == ["learned", "neighbourhood"]
    assert runs["neighbourhood/edge"]["tags"] == ["handcrafted", "neighbourhood"]
    assert {"tables/harness/_type", "quality/acc_mean/selected", "quality/acc_mean/budget_pct",
            "plots/quality/_type"} <= runs["neighbourhood/learned"]["history"]
