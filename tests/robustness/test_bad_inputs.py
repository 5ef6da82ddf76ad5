"""Issue 17's bad inputs, walked through the command line and the public API.

Every case must end in one clear error that names the culprit (file, column, row,
option): through the command line (``reduce.py``'s ``run`` under :func:`cbred.cli.run_cli`,
as ``main`` runs it) one ``error:`` line on stderr, exit status 2, no traceback and no
result file left in the run directory; through the API one exception whose message
names the culprit.
"""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from omegaconf import OmegaConf
import torch
from hydra import compose, initialize_config_dir

from cbred.cli import USAGE_ERROR
from cbred.paths import PROJECT_ROOT
from cbred.tfstats import load_table
from tests.robustness.helpers import CONFIGS, command_error_line, compose_run, one_error_line

STATISTICS = list(OmegaConf.load(PROJECT_ROOT / "configs" / "tfstats" / "default.yaml").statistics)  # the default's


@pytest.fixture(scope="module")
def bad(tmp_path_factory):
    """A folder of bad input files (and one good accuracy table), by name."""
    folder = tmp_path_factory.mktemp("bad-inputs")
    tf = load_table()[STATISTICS].rename_axis("arch").reset_index()
    archs = tf["arch"]
    accuracy = pd.DataFrame({"arch": archs, "test_acc": np.linspace(10, 94, len(archs))})
    accuracy.to_csv(folder / "accuracy.csv", index=False)
    accuracy.assign(test_acc=accuracy["test_acc"].where(accuracy.index != 7, np.inf)).to_csv(
        folder / "inf_accuracy.csv", index=False)
    accuracy.astype({"test_acc": object}).assign(
        test_acc=lambda f: f["test_acc"].where(f.index != 3, "oops")).to_csv(folder / "text_accuracy.csv", index=False)
    (folder / "empty.csv").write_bytes(b"")
    tf.astype({"ntk_cond": object}).assign(
        ntk_cond=lambda f: f["ntk_cond"].where(f.index != 5, "oops")).to_csv(folder / "text_tf.csv", index=False)
    pd.concat([tf, tf.iloc[:2]]).to_csv(folder / "duplicate_tf.csv", index=False)
    from cbred.learned.distance import DEFAULT_CHECKPOINT

    checkpoint = torch.load(DEFAULT_CHECKPOINT, map_location="cpu", weights_only=True)
    checkpoint["state_dict"] = {k: v.float().fill_(float("nan")) if v.is_floating_point() else v
                                for k, v in checkpoint["state_dict"].items()}
    torch.save(checkpoint, folder / "nan_weights.ckpt")
    return folder


# (case id, overrides with {bad} for the folder, pattern the one error line must match)
CLI_CASES = [
    ("inf-accuracy", ["benchmark.path={bad}/inf_accuracy.csv"],
     r"inf_accuracy\.csv: 1 value\(s\) are \+-inf.*column 'test_acc'.*benchmark\.nonfinite=drop"),
    ("text-accuracy", ["benchmark.path={bad}/text_accuracy.csv"],
     r"text_accuracy\.csv, column 'test_acc'.*row 3: 'oops'"),
    ("empty-accuracy-csv", ["benchmark.path={bad}/empty.csv"], r"empty\.csv is empty \(0 bytes\)"),
    ("missing-accuracy-file", ["benchmark.path={bad}/absent.csv"], r"absent\.csv does not exist"),
    ("unknown-metric", ["benchmark.path={bad}/accuracy.csv", "benchmark.metric=acc"],
     r"accuracy\.csv has no column\(s\) \['acc'\]"),
    ("empty-tf-csv", ["tfstats.path={bad}/empty.csv"], r"empty\.csv is empty \(0 bytes\)"),
    ("text-tf", ["tfstats.path={bad}/text_tf.csv"], r"TF-statistic table, column 'ntk_cond'.*row 5: 'oops'"),
    ("duplicate-tf-rows", ["tfstats.path={bad}/duplicate_tf.csv"],
     r"TF-statistic table: 2 architecture\(s\) have several rows.*set tfstats\.duplicates=first or tfstats\.duplicates=mean"),
    ("encoder-nan-weights", ["distance=learned", "distance.checkpoint={bad}/nan_weights.ckpt"],
     r"nan_weights\.ckpt.*non-finite \(NaN or inf\) weights"),
    pytest.param("budget-not-integer", ["benchmark.path={bad}/accuracy.csv", "budgets=[10.5]"],
                 r"budgets: 10\.5 is not a positive integer", id="budget-not-integer"),
    pytest.param("constraint-not-a-number", ["+constraints.params.max=abc"], r"constraints?.*params.*'abc'",
                 id="constraint-not-a-number"),
    pytest.param("zero-landmarks", ["representation.max_dense=10", "representation.n_landmarks=0"],
                 r"n_landmarks", id="zero-landmarks"),
]


@pytest.mark.parametrize("case, overrides, culprit", [pytest.param(*c, id=c[0]) if type(c) is tuple else c
                                                      for c in CLI_CASES])
def test_command_line_reports_one_clear_error_and_leaves_no_results(case, overrides, culprit, bad, tmp_path, capsys):
    import reduce

    cfg = compose_run("reduce", tmp_path, *(o.format(bad=bad) for o in overrides))
    line = one_error_line(reduce.run, cfg, capsys)
    assert re.search(culprit, line), line


def _call(target, *args):
    return lambda: target(*args)


def _nb101_table_with_op(op):
    from cbred.spaces.nb101 import NB101Space

    return NB101Space(pd.DataFrame({"n_vertices": [3], "edges": [7], "ops": [f"input,{op},output"]},
                                   index=pd.Index(["a" * 32], name="hash")))


def _runner(override):
    from cbred.tfstats import runner

    with initialize_config_dir(config_dir=CONFIGS + "/tfstats_runner", version_base="1.3"):
        cfg = compose("proxy", overrides=[override, "cache=/nonexistent/never-used"])
    return runner.run(cfg)


def _api_cases():
    from cbred.spaces.nb101 import Spec
    from cbred.spaces.nb201 import NB201Space, format_cell, isomorphism_class
    from cbred.evaluation import check_budgets

    return [
        ("format-cell-negative", _call(format_cell, [0, 0, 0, 0, 0, -1]), ValueError, r"code -1 at edge 5"),
        ("graphs-empty", _call(NB201Space().graphs, []), ValueError, r"no architecture given"),
        ("isomorphism-class-none", _call(isomorphism_class, None), TypeError, r"NB201 cell .* got None"),
        ("nb101-ragged-matrix", _call(Spec.from_raw, [[0, 1], [0]], ["input", "output"]), ValueError,
         r"rows of equal length"),
        ("nb101-unknown-op", _call(_nb101_table_with_op, "conv5x5"), ValueError, r"unknown operation\(s\) \['conv5x5'\]"),
        ("budgets", _call(check_budgets, [10.5]), ValueError, r"budgets: 10\.5"),
        ("archs-limit-negative", _call(_runner, "archs_limit=-5"), ValueError, r"archs_limit must be an integer >= 1"),
        ("repeats-zero", _call(_runner, "repeats=0"), ValueError, r"repeats must be an integer >= 1"),
    ]


@pytest.mark.parametrize("index", range(8))
def test_api_reports_one_clear_error(index):
    case, call, kind, culprit = _api_cases()[index]
    with pytest.raises(kind, match=culprit):
        call()


@pytest.mark.slow
def test_the_runner_command_line_exits_2_without_a_traceback(tmp_path):
    done = subprocess.run([sys.executable, "-m", "cbred.tfstats.runner", "archs_limit=-5", f"cache={tmp_path}"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == USAGE_ERROR
    assert done.stderr.strip() == "error: archs_limit must be an integer >= 1, got -5"
    assert "Traceback" not in done.stdout + done.stderr


@pytest.mark.slow
def test_reduce_command_line_exits_2_without_a_traceback(bad, tmp_path):
    line = command_error_line("reduce.py", f"benchmark.path={bad}/inf_accuracy.csv", "plots.enabled=false",
                              run_dir=tmp_path)
    assert "inf_accuracy.csv" in line and "test_acc" in line


@pytest.mark.slow
@pytest.mark.parametrize(
    "option, culprit",
    [("search.n_runs=0", "error: search.n_runs must be an integer >= 1, got 0"),
     ("search.budget=-3", "error: search.budget must be an integer >= 1, got -3"),
     ("search.n_workers=0", "error: search.n_workers must be an integer >= 1, got 0"),
     ("space_subset=[]", "error: space_subset is empty: name the sub-spaces to search"),
     ("strategy=[]", "error: strategy is empty: choose the search strategies")],
)
def test_search_command_line_exits_2_with_one_line(option, culprit, tmp_path):
    line = command_error_line("search.py", "benchmark=nb201_cifar10", option, run_dir=tmp_path)
    assert line.startswith(culprit), line
