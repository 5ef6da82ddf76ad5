"""QueryLog: JSON lines grouped by run; a truncated last line is dropped, a bad middle line refused."""

import json

import pytest

from cbred.search import QueryLog


def test_records_are_grouped_by_key_and_appended_as_strict_json(tmp_path):
    path = tmp_path / "log.jsonl"
    with QueryLog(path, key_fields=["run"]) as log:
        log.append({"run": 0, "query": 1, "arch": "a", "accuracy": 1.0, "cost": float("nan")})
        log.append({"run": 1, "query": 1, "arch": "b", "accuracy": 2.0, "cost": 3.0})
        log.append({"run": 0, "query": 2, "arch": "c", "accuracy": 0.5, "cost": 1.0})
    assert json.loads(path.read_text().splitlines()[0])["cost"] is None
    log = QueryLog(path, key_fields=["run"])
    assert [r["arch"] for r in log.records({"run": 0})] == ["a", "c"]
    assert log.records({"run": 5}) == []
    with pytest.raises(ValueError, match="exactly"):
        log.records({"subset": "full"})


def test_a_truncated_last_line_is_cut_and_a_bad_middle_line_refused(tmp_path):
    path = tmp_path / "log.jsonl"
    path.write_text('{"run": 0, "arch": "a", "accuracy": 1}\n{"run": 0, "arch": "b", "acc')
    with pytest.warns(UserWarning, match="truncated"), QueryLog(path, key_fields=["run"]) as log:
        assert len(log.records({"run": 0})) == 1
        log.append({"run": 0, "arch": "c", "accuracy": 2})
    assert [json.loads(line)["arch"] for line in path.read_text().splitlines()] == ["a", "c"]
    path.write_text('{"run": 0}\nnot json\n{"run": 0}\n')
    with pytest.raises(ValueError, match="line 2"):
        QueryLog(path, key_fields=["run"]).records({"run": 0})
    path.write_text('{"arch": "a"}\n{"run": 0}\n')
    with pytest.raises(ValueError, match="line 1"):
        QueryLog(path, key_fields=["run"]).records({"run": 0})
