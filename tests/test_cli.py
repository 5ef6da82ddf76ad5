"""The command lines' handling of bad input: one error line, exit status 2, no partial results."""

import os

import pytest

from cbred.cli import USAGE_ERROR, error_line, remove_partial_results, result_files_state, run_cli


def test_partial_results_of_a_failed_run_are_removed(tmp_path, capsys):
    def fails_after_writing(cfg):
        (tmp_path / "metrics.json").write_text("{}")
        (tmp_path / "clusters.csv").write_text("arch\n")
        raise ValueError("selection.min_size=99999 is larger than the space")

    (tmp_path / "selected.csv").write_text("from an earlier run\n")
    import os

    os.utime(tmp_path / "selected.csv", (0, 0))  # an old, finished run's file stays
    with pytest.raises(SystemExit):
        run_cli(fails_after_writing, {"output_dir": str(tmp_path)})
    assert not (tmp_path / "metrics.json").exists() and not (tmp_path / "clusters.csv").exists()
    assert (tmp_path / "selected.csv").exists()
    assert capsys.readouterr().err == "error: selection.min_size=99999 is larger than the space\n"


def test_the_error_line_is_one_line_and_unquotes_a_key_error():
    assert error_line(KeyError("unknown statistic 'nwot'")) == "error: unknown statistic 'nwot'"
    assert error_line(ValueError("bad value\n   in  row 3\n")) == "error: bad value in row 3"
    assert error_line(FileNotFoundError()) == "error: FileNotFoundError"


def test_only_result_files_this_run_wrote_or_changed_are_removed_however_recent_the_others(tmp_path):
    names = ("metrics.json", "clusters.csv", "selected.csv", "absent.csv")
    for name in ("clusters.csv", "selected.csv", "notes.txt"):  # a finished run, a second ago
        (tmp_path / name).write_text("x")
    before = result_files_state(tmp_path, names)
    (tmp_path / "metrics.json").write_text("{}")  # the failed run's: new
    (tmp_path / "selected.csv").write_text("changed")  # and rewritten
    removed = remove_partial_results(tmp_path, before, names=names)
    assert sorted(p.name for p in removed) == ["metrics.json", "selected.csv"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clusters.csv", "notes.txt"]


def test_a_bug_keeps_its_traceback_and_hydra_full_error_keeps_a_user_error(tmp_path, monkeypatch):
    def bug(cfg):
        raise ZeroDivisionError("a bug")

    def bad_input(cfg):
        (tmp_path / "metrics.json").write_text("{}")
        raise ValueError("budget must be positive")

    assert run_cli(lambda cfg: cfg["n"] + 1, {"n": 1}) == 2
    with pytest.raises(ZeroDivisionError, match="a bug"):
        run_cli(bug, {"output_dir": str(tmp_path)})
    monkeypatch.setenv("HYDRA_FULL_ERROR", "1")
    with pytest.raises(ValueError, match="budget must be positive"):
        run_cli(bad_input, {"output_dir": str(tmp_path)})
    assert not (tmp_path / "metrics.json").exists()  # removed all the same
    monkeypatch.delenv("HYDRA_FULL_ERROR")
    with pytest.raises(SystemExit) as stopped:
        run_cli(bad_input, {"output_dir": str(tmp_path)}, output_key=None)
    assert stopped.value.code == USAGE_ERROR and (tmp_path / "metrics.json").exists()  # no output dir: kept
