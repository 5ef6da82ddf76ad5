"""Issue 25's cases on the API, ``search.py`` and ``reduce.py``, one row each, with the
class each must fall in:

- **error**: one clear error naming the culprit (the API: an exception; the command lines,
  through :func:`cbred.cli.run_cli` as ``main`` runs them, or as a subprocess: exit status 2,
  one ``error:`` line on stderr, no traceback, no result file);
- **warning**: a result, with a warning that says what to distrust, located at the user's
  call (never at a line of cbred);
- **result**: a correct result.

The inputs are small: an NB201 sub-space of 729 cells (three operations) with synthetic
statistics and accuracy, and a ``reduce.py``-like run directory of 300 cells.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import cbred
from cbred.caller import PACKAGE
from cbred.pipeline import ReductionWarning
from cbred.rundir import RunDirWarning, record_checksums
from tests.robustness.helpers import command_error_line, compose_run, one_error_line

#: The default's statistics (configs/tfstats/default.yaml): the synthetic table has them all.
STATISTICS = ["ntk_cond", "linear_regions", "naswot_v1", "naswot_v2", "az_expressivity", "az_progressivity",
              "az_trainability", "flops", "meco"]
#: NB201 cells of none / skip / conv 3x3 only (3^6 = 729): reduce.py takes a second on them.
SMALL_SPACE = "space.operations=[none,skip_connect,nor_conv_3x3]"
#: Cells of the run directory, and of them the selected ones.
N_RUN, N_SELECTED = 300, 40


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """Inputs of the 729-cell space: TF tables (plain, with a constant statistic) and accuracy
    tables (every cell, and 300 of them), by name."""
    from cbred.spaces.nb201 import NB201Space

    folder = tmp_path_factory.mktemp("issue25-small")
    space = NB201Space()
    keep = np.isin(space.codes, [0, 1, 3]).all(axis=1)
    archs = pd.Index(np.asarray(space.ids)[keep], name="arch")
    rng = np.random.default_rng(0)
    convs = (space.codes[keep] == 3).sum(axis=1)
    tf = pd.DataFrame({name: convs + rng.normal(0, 1, len(archs)) for name in STATISTICS}, index=archs)
    tf.to_parquet(folder / "tf.parquet")
    tf.assign(meco=1000.0).to_parquet(folder / "tf_constant_meco.parquet")
    accuracy = pd.DataFrame({"arch": archs, "acc": 80 + 2 * convs + rng.normal(0, 1, len(archs))})
    accuracy.to_csv(folder / "acc.csv", index=False)
    accuracy.sample(300, random_state=0).to_csv(folder / "sparse_acc.csv", index=False)
    return folder


@pytest.fixture(scope="module")
def reduction_run(tmp_path_factory):
    """An accuracy table of 300 NB201 cells and a run directory of them as reduce.py writes it
    (clusters.csv, selected.csv, manifest.json with their checksums)."""
    from cbred.spaces.nb201 import NB201Space

    root = tmp_path_factory.mktemp("issue25-search")
    archs = pd.Index(NB201Space().sample(N_RUN, random_state=0), name="arch")
    rng = np.random.default_rng(1)
    accuracy = pd.Series(rng.normal(85, 3, N_RUN), index=archs, name="acc")
    accuracy.to_frame().to_csv(root / "acc.csv")
    clusters = pd.DataFrame({"cluster": np.arange(N_RUN) % 5, "tf_rank": accuracy.rank(pct=True),
                             "selected": np.arange(N_RUN) < N_SELECTED}, index=archs)
    run_dir = root / "run"
    run_dir.mkdir()
    clusters.to_csv(run_dir / "clusters.csv")
    clusters[clusters["selected"]].drop(columns="selected").to_csv(run_dir / "selected.csv")
    (run_dir / "manifest.json").write_text(json.dumps({"n_archs": N_RUN, "n_selected": N_SELECTED}) + "\n")
    record_checksums(run_dir)
    return root


def _search(root, output_dir, *overrides):
    """search.py's config on the 300-cell table: two short runs of REA per sub-space."""
    return compose_run("search", output_dir, f"benchmark.path={root}/acc.csv", "benchmark.metric=acc",
                       "strategy=rea", "search.n_runs=2", "search.budget=10", "search.n_boot=50", *overrides)


# -- the API: arguments no run can take, refused before anything is loaded -----------------

#: A TF table that does not exist: an argument error raised after loading would say so instead.
NOT_LOADED = "tfstats.path=/nonexistent/never-read.parquet"

API_ERRORS = [
    ("space-of-a-wrong-type", dict(space=201), TypeError, r"space must be a config name .* got int: 201"),
    ("overrides-as-one-string", dict(overrides="seed=1"), TypeError,
     r"overrides must be a list of 'key=value' strings, got the string 'seed=1': write overrides=\['seed=1'\]"),
    ("overrides-of-no-strings", dict(overrides=[1, 2]), TypeError, r"overrides must be a list of 'key=value'"),
    ("seed-not-a-number", dict(seed="x"), ValueError, r"seed must be an integer in \[0, 4294967295\].* got 'x'"),
    ("seed-negative-by-override", dict(overrides=["seed=-1"]), ValueError, r"seed must be an integer.* got -1"),
    ("benchmark-as-a-file", dict(benchmark="/path/file.csv"), ValueError,
     r"benchmark='/path/file\.csv' is not a config of configs/benchmark/ \(choices: .*nb201_cifar10.*\); "
     r"a file of yours goes in overrides=\['benchmark\.path=FILE', 'benchmark\.metric=COLUMN'\]"),
    ("tfstats-as-a-file", dict(tfstats="stats.parquet"), ValueError, r"overrides=\['tfstats\.path=FILE'\]"),
    ("unknown-space-config", dict(space="nb202"), ValueError, r"space='nb202' is not a config of configs/space/"),
    ("unknown-distance-config", dict(distance="helinger"), ValueError, r"distance='helinger' .*hellinger"),
    ("budget-one-float", dict(budget=1.0), ValueError,
     r"selection\.budget=1\.0: a budget >= 1 counts architectures .*write 1 for one cell, or a fraction below 1"),
    ("budget-zero", dict(budget=0), ValueError, r"selection\.budget must be a fraction in \(0, 1\) .*got 0$"),
    ("budget-negative", dict(budget=-1), ValueError, r"selection\.budget must be .*got -1$"),
    ("budget-fraction-above-one", dict(budget=1.5), ValueError, r"selection\.budget=1\.5: .*must be an integer"),
    ("budget-text", dict(budget="abc"), ValueError, r"selection\.budget must be .*got 'abc'"),
    ("budget-by-override", dict(overrides=["selection.budget=1.0"]), ValueError, r"selection\.budget=1\.0"),
    ("best-of-n-budgets", dict(overrides=["budgets=[10.5]"]), ValueError, r"budgets: 10\.5 is not a positive integer"),
]


@pytest.mark.parametrize("case, arguments, kind, culprit", API_ERRORS, ids=[c[0] for c in API_ERRORS])
def test_api_refuses_what_no_run_can_take_before_loading(case, arguments, kind, culprit):
    arguments = dict(arguments)
    if isinstance(arguments.get("overrides", []), list):
        arguments["overrides"] = [*arguments.get("overrides", []), NOT_LOADED]
    with pytest.raises(kind, match=culprit):
        cbred.reduce(**arguments)


def test_api_takes_overrides_as_a_mapping_and_an_experiment_its_space():
    cfg = cbred.compose(overrides={"seed": 3, "budgets": [5, 7], "selection.budget": 0.5, "benchmark.path": None})
    assert cfg.seed == 3 and list(cfg.budgets) == [5, 7] and cfg.selection.budget == 0.5
    assert cbred.compose(experiment="nb101").space.name == "nb101"  # not the default nb201 over the experiment's


def test_api_warnings_point_at_the_users_call(small):
    overrides = [SMALL_SPACE, f"tfstats.path={small}/tf_constant_meco.parquet", f"benchmark.path={small}/acc.csv",
                 "benchmark.metric=acc"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        reduction = cbred.reduce(overrides=overrides)
    assert len(reduction.selected) == 7  # 1 % of 729
    constant = [w for w in caught if issubclass(w.category, ReductionWarning) and "constant" in str(w.message)]
    assert constant and "meco" in str(constant[0].message)
    assert constant[0].filename == __file__  # this call, not the library line that noticed it
    assert not [f"{w.filename}:{w.lineno}" for w in caught if str(Path(w.filename).resolve()).startswith(PACKAGE)]


# -- search.py: options, the run directory it reads, a rerun ---------------------------------

SEARCH_ERRORS = [
    ("budget-zero", ["search.budget=0"], r"search\.budget must be an integer >= 1, got 0"),
    ("unknown-subset", ["space_subset=[full,reduce]"], r"space_subset: unknown sub-space\(s\) \['reduce'\] "
                                                       r"\(choices: full, reduced, quantiled, random\)"),
    ("subset-size-zero", ["search.subset_size=0"], r"search\.subset_size must be a fraction in \(0, 1\) .*got 0$"),
    ("subset-size-negative", ["search.subset_size=-1"], r"search\.subset_size must be .*got -1$"),
    ("subset-size-fraction-above-one", ["search.subset_size=1.5"],
     r"search\.subset_size=1\.5: a budget >= 1 counts architectures and must be an integer"),
    ("subset-size-larger-than-the-space", ["search.subset_size=100000"],
     rf"search\.subset_size=100000 architectures, but the space has only {N_RUN}"),
    ("subset-size-one-float", ["search.subset_size=1.0"],
     r"search\.subset_size=1\.0: .*write 1 for one cell, or a fraction below 1"),
    ("subset-size-text", ["search.subset_size=abc"], r"search\.subset_size must be .*got 'abc'"),
    ("reduction-dir-missing", ["search.reduction_dir={root}/absent"],
     r"search\.reduction_dir=\S*/absent does not exist"),
    ("reduction-dir-a-file", ["search.reduction_dir={root}/acc.csv"], r"search\.reduction_dir=\S*acc\.csv is a file"),
    ("workers-zero", ["search.n_workers=0"], r"search\.n_workers must be an integer >= 1, got 0"),
    ("runs-zero", ["search.n_runs=0"], r"search\.n_runs must be an integer >= 1, got 0"),
    ("runs-negative", ["search.n_runs=-3"], r"search\.n_runs must be an integer >= 1, got -3"),
    ("no-subset", ["space_subset=[]"], r"space_subset is empty: name the sub-spaces to search"),
    ("no-strategy", ["strategy=[]"], r"strategy is empty: choose the search strategies"),
    ("seed-not-a-number", ["seed=x"], r"seed must be an integer .*got 'x'"),
]


@pytest.mark.parametrize("case, overrides, culprit", SEARCH_ERRORS, ids=[c[0] for c in SEARCH_ERRORS])
def test_search_options_give_one_error_line(case, overrides, culprit, reduction_run, tmp_path, capsys):
    import search

    random = ["space_subset=[full,random]"] if "subset_size" in overrides[0] else []
    cfg = _search(reduction_run, tmp_path, *random, *(o.format(root=reduction_run) for o in overrides))
    line = one_error_line(search.run, cfg, capsys)
    assert re.search(culprit, line), line


def _cut_mid_row(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _keep_lines(path, n_lines):
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(lines[:n_lines]))


def _edit_in_place(path):
    data = bytearray(path.read_bytes())
    row = data.index(b"\n") + 2  # a character of the first cell id: same size, another cell
    data[row] = ord("|") if data[row] != ord("|") else ord("+")
    path.write_bytes(bytes(data))


def _remove_manifest(run_dir):
    (run_dir / "manifest.json").unlink()


# (case, what is done to the copy of the run directory, pattern of the one error line)
RUN_DIR_ERRORS = [
    ("selected-cut-mid-row", lambda d: _cut_mid_row(d / "selected.csv"),
     r"selected\.csv has [\d,]+ bytes, but manifest\.json records [\d,]+: the file was cut or changed"),
    ("selected-cut-at-a-row", lambda d: _keep_lines(d / "selected.csv", 9),  # 8 cells: a file that parses
     r"selected\.csv has [\d,]+ bytes, but"),
    ("selected-edited", lambda d: _edit_in_place(d / "selected.csv"),
     r"selected\.csv does not match the SHA-256 manifest\.json records"),
    ("selected-empty", lambda d: (d / "selected.csv").write_bytes(b""), r"selected\.csv has 0 bytes, but"),
    ("clusters-cut-mid-row", lambda d: _cut_mid_row(d / "clusters.csv"), r"clusters\.csv has [\d,]+ bytes, but"),
    ("selected-missing", lambda d: (d / "selected.csv").unlink(), r"\S*run has no selected\.csv"),
    ("manifest-not-json", lambda d: (d / "manifest.json").write_text("{"), r"manifest\.json is not valid JSON"),
    # without a manifest (a run directory made by hand): what no run writes is still refused
    ("no-manifest-selected-cut-mid-row", lambda d: (_remove_manifest(d), _cut_mid_row(d / "selected.csv")),
     r"selected\.csv does not end with a newline: it was cut mid-row"),
    ("no-manifest-selected-empty", lambda d: (_remove_manifest(d), (d / "selected.csv").write_bytes(b"")),
     r"selected\.csv is empty \(0 bytes\)"),
    ("no-manifest-selected-binary", lambda d: (_remove_manifest(d), (d / "selected.csv").write_bytes(bytes(range(256)))),
     r"selected\.csv is binary, not a CSV table"),
    ("no-manifest-selected-header-only", lambda d: (_remove_manifest(d), _keep_lines(d / "selected.csv", 1)),
     r"selected\.csv has a header but no rows"),
    ("no-manifest-selected-not-utf8", lambda d: (_remove_manifest(d), (d / "selected.csv").write_bytes(b"arch\n\xff\xfe\n")),
     r"selected\.csv cannot be read as a CSV table \(UnicodeDecodeError"),
]


@pytest.mark.parametrize("case, damage, culprit", RUN_DIR_ERRORS, ids=[c[0] for c in RUN_DIR_ERRORS])
def test_search_verifies_the_run_directory_it_reads(case, damage, culprit, reduction_run, tmp_path, capsys):
    import search

    run_dir = shutil.copytree(reduction_run / "run", tmp_path / "run")
    damage(run_dir)
    cfg = _search(reduction_run, tmp_path / "out", f"search.reduction_dir={run_dir}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RunDirWarning)  # the no-manifest cases: said, then refused
        line = one_error_line(search.run, cfg, capsys)
    assert re.search(culprit, line), line


def test_search_reads_an_intact_run_directory(reduction_run, tmp_path):
    import search

    cfg = _search(reduction_run, tmp_path, f"search.reduction_dir={reduction_run}/run",
                  "space_subset=[full,reduced,quantiled,random]")
    with warnings.catch_warnings():
        warnings.simplefilter("error", RunDirWarning)
        metrics = search.run(cfg)
    assert metrics["full/size"] == N_RUN
    assert metrics["reduced/size"] == metrics["quantiled/size"] == metrics["random/size"] == N_SELECTED


def test_search_of_a_run_directory_without_manifest_warns_at_the_entry_point(reduction_run, tmp_path):
    import search

    run_dir = shutil.copytree(reduction_run / "run", tmp_path / "run")
    _remove_manifest(run_dir)
    with pytest.warns(RunDirWarning, match=r"has no manifest\.json: its files cannot be verified") as caught:
        metrics = search.run(_search(reduction_run, tmp_path / "out", f"search.reduction_dir={run_dir}"))
    assert metrics["reduced/size"] == N_SELECTED
    assert caught[0].filename == search.__file__  # the entry point's line, not cbred's


def test_search_subset_size_follows_the_budget_rule(reduction_run, tmp_path):
    import search

    fraction = search.run(_search(reduction_run, tmp_path / "a", "space_subset=[full,random]",
                                  "search.subset_size=0.1", "search.log=null"))
    count = search.run(_search(reduction_run, tmp_path / "b", "space_subset=[full,random]",
                               "search.subset_size=25", "search.log=null"))
    assert fraction["random/size"] == 30 and count["random/size"] == 25


def test_search_rerun_in_its_directory_with_another_seed_is_refused_before_loading(reduction_run, tmp_path, capsys):
    import search

    search.run(_search(reduction_run, tmp_path, "space_subset=[full]"))
    assert search.run(_search(reduction_run, tmp_path, "space_subset=[full]"))  # the same seed: replayed
    finished = sorted(p.name for p in tmp_path.iterdir())
    line = one_error_line(search.run, _search(reduction_run, tmp_path, "space_subset=[full]", "seed=1",
                                             "benchmark.path=/nonexistent/never-read.csv"), capsys)
    assert re.search(r"output_dir=\S+ holds a search with seed=0 .*rerun with seed=0, or choose another", line), line
    assert sorted(p.name for p in tmp_path.iterdir()) == finished  # the finished search is left whole


# -- reduce.py: the budget rule before loading, warnings and honest verdicts ------------------

REDUCE_ERRORS = [
    ("budget-one-float", ["selection.budget=1.0"],
     r"selection\.budget=1\.0: a budget >= 1 counts architectures .*write 1 for one cell, or a fraction below 1"),
    ("budget-zero", ["selection.budget=0"], r"selection\.budget must be a fraction in \(0, 1\) .*got 0$"),
    ("budget-fraction-above-one", ["selection.budget=1.5"], r"selection\.budget=1\.5: .*must be an integer"),
    ("budget-text", ["selection.budget=abc"], r"selection\.budget must be .*got 'abc'"),
    ("budget-larger-than-the-space", [SMALL_SPACE, "selection.budget=1000", "tfstats.path={small}/tf.parquet"],
     r"selection\.budget=1000 architectures, but the space has only 729"),
    ("seed-not-a-number", ["seed=x"], r"seed must be an integer .*got 'x'"),
]


@pytest.mark.parametrize("case, overrides, culprit", REDUCE_ERRORS, ids=[c[0] for c in REDUCE_ERRORS])
def test_reduce_options_give_one_error_line_before_loading(case, overrides, culprit, small, tmp_path, capsys):
    import reduce

    overrides = [o.format(small=small) for o in overrides]
    loads = any(o.startswith("tfstats.path") for o in overrides)
    cfg = compose_run("reduce", tmp_path, *overrides, *([] if loads else [NOT_LOADED]))
    line = one_error_line(reduce.run, cfg, capsys)
    assert re.search(culprit, line), line


def test_reduce_refuses_a_table_of_another_space_before_enumerating_it(reduction_run, tmp_path, capsys, monkeypatch):
    import reduce
    from cbred.spaces import nb101_enumeration

    def enumerate_nothing(*args, **kwargs):
        raise AssertionError("the 423,624 NB101 cells were enumerated before the table was refused")

    monkeypatch.setattr(nb101_enumeration, "load_or_enumerate", enumerate_nothing)
    cfg = compose_run("reduce", tmp_path, "experiment=nb101", f"benchmark.path={reduction_run}/acc.csv",
                      "benchmark.metric=acc")
    line = one_error_line(reduce.run, cfg, capsys)
    assert re.search(r"acc\.csv, row 0: nb101 id must be a 32-character lower-case hex hash, got '\|", line), line


def _reduce(small, tmp_path, caplog, *overrides):
    """reduce.py on the 729-cell space; the metrics and what it logged (the verdict)."""
    import reduce

    cfg = compose_run("reduce", tmp_path, SMALL_SPACE, f"tfstats.path={small}/tf.parquet", "benchmark.metric=acc",
                      *overrides)
    with caplog.at_level(logging.INFO, logger="reduce"):
        metrics = reduce.run(cfg)
    return metrics, caplog.text


def test_reduce_writes_checksums_search_verifies(small, tmp_path, caplog):
    from cbred.rundir import file_digest, verify_run_dir

    _reduce(small, tmp_path, caplog, f"benchmark.path={small}/acc.csv")
    recorded = json.loads((tmp_path / "manifest.json").read_text())["checksums"]
    assert recorded == {name: file_digest(tmp_path / name) for name in ("clusters.csv", "selected.csv")}
    assert verify_run_dir(tmp_path) == tmp_path


def test_reduce_cq_at_a_large_budget_warns_that_the_selection_is_quantiled(small, tmp_path, caplog):
    metrics, text = _reduce(small, tmp_path, caplog, f"benchmark.path={small}/acc.csv", "variant=cq",
                            "selection.budget=0.6")
    assert metrics["selected_size"] == 437  # 60 % of 729
    assert re.search(r"warning: the selection is 100% the same cells as Quantiled \(437 of 437\): a comparison "
                     r"with it says little", text), text


def test_reduce_with_a_sparse_accuracy_table_does_not_compare_best_of_n(small, tmp_path, caplog):
    with pytest.warns(UserWarning, match=r"429 architectures have no accuracy"):
        metrics, text = _reduce(small, tmp_path, caplog, f"benchmark.path={small}/sparse_acc.csv")
    assert re.search(r"warning: best-of-10 is left out for the selection.*: fewer than 10 cells with accuracy", text)
    assert re.search(r"warning: best-of-100 is left out for the selection.*: fewer than 100 cells", text), text
    assert not re.search(r"beats the selection on [^\n]*best-of", text), text  # no comparison made of them


def test_reduce_names_a_constant_statistic_and_leaves_it_out(small, tmp_path, caplog):
    import reduce

    cfg = compose_run("reduce", tmp_path, SMALL_SPACE, f"tfstats.path={small}/tf_constant_meco.parquet")
    with pytest.warns(ReductionWarning, match=r"meco \(one value in 100\.0%\) .*\(nearly\) constant") as caught:
        reduce.run(cfg)
    assert [w.filename for w in caught if "constant" in str(w.message)] == [reduce.__file__]


# -- as commands: one line on stderr, exit status 2, no traceback ----------------------------

@pytest.mark.slow
@pytest.mark.parametrize("script, options, culprit", [
    ("search.py", ["search.n_runs=0"], r"^error: search\.n_runs must be an integer >= 1, got 0$"),
    ("search.py", ["search.subset_size=1.0", "space_subset=[full,random]"], r"^error: search\.subset_size=1\.0: "),
    ("search.py", ["search.reduction_dir={root}/run-cut"], r"^error: \S+run-cut/selected\.csv has [\d,]+ bytes, but"),
    ("reduce.py", ["selection.budget=1.0"], r"^error: selection\.budget=1\.0: a budget >= 1 counts architectures"),
], ids=["search-runs-zero", "search-subset-size-one-float", "search-truncated-selected", "reduce-budget-one-float"])
def test_commands_exit_2_with_one_error_line(script, options, culprit, reduction_run, tmp_path):
    cut = reduction_run / "run-cut"
    if not cut.exists():
        shutil.copytree(reduction_run / "run", cut)
        _cut_mid_row(cut / "selected.csv")
    line = command_error_line(script, f"benchmark.path={reduction_run}/acc.csv", "benchmark.metric=acc",
                              *(o.format(root=reduction_run) for o in options), run_dir=tmp_path / "out")
    assert re.search(culprit, line), line
