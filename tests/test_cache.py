import os

import numpy as np
import pandas as pd
import pytest

import json
import subprocess
import sys

from cbred.cache import (
    CacheWarning,
    atomic_write,
    config_key,
    load_array,
    read_verified_parquet,
    save_array,
    sidecar_path,
    source_digest,
    write_npy,
    write_parquet,
    write_verified_parquet,
)

KEY = {"distance": "hellinger", "graphs": "abc", "code": "v1"}


def test_config_key_ignores_order_and_separates_values():
    assert config_key({"a": 1, "b": [1, 2]}) == config_key({"b": [1, 2], "a": 1})
    assert config_key({"a": 1}) != config_key({"a": 2})
    assert config_key({"x": np.float32(0.5)}) == config_key({"x": 0.5})
    with pytest.raises(TypeError, match="cache key"):
        config_key({"x": object()})


def test_atomic_write_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "out.bin"

    def explode(tmp):
        tmp.write_bytes(b"half")
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        atomic_write(target, explode)
    assert not target.exists() and os.listdir(tmp_path) == []


def test_atomic_files_get_the_usual_mode_without_touching_the_umask(tmp_path):
    # os.umask sets the mask of the whole process (a race with other threads): never call it
    script = (
        "import os, sys\n"
        "os.umask(0o027)\n"
        "def no_umask(*a): raise SystemExit('os.umask called')\n"
        "os.umask = no_umask\n"
        "import numpy as np, cbred.cache as c\n"
        "print(oct(c.write_npy(np.zeros(2), sys.argv[1]).stat().st_mode & 0o777))\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path / "z.npy")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == oct(0o640)


def test_parquet_and_npy_round_trip(tmp_path):
    frame = pd.DataFrame({"x": [1.0, 2.0]}, index=pd.Index(["a", "b"], name="arch"))
    assert pd.read_parquet(write_parquet(frame, tmp_path / "f.parquet")).equals(frame)
    array = np.arange(6, dtype=np.float32).reshape(2, 3)
    assert np.array_equal(np.load(write_npy(array, tmp_path / "a.npy")), array)


@pytest.fixture
def entry(tmp_path):
    matrix = np.arange(16, dtype=np.float32).reshape(4, 4)
    matrix = matrix + matrix.T
    return save_array(matrix, tmp_path / "m.npy", KEY), matrix


def test_a_verified_entry_reads_back_with_its_header(entry):
    path, matrix = entry
    np.testing.assert_array_equal(load_array(path, KEY, (4, 4)), matrix)
    header = json.loads(sidecar_path(path).read_text())
    assert header["key"] == KEY and header["shape"] == [4, 4] and len(header["sha256"]) == 64
    assert load_array(path.with_name("absent.npy"), KEY) is None  # a plain miss, no warning


def _permute(path):
    array = np.load(path)
    np.save(path, array[::-1][:, ::-1])  # well formed, wrong


def _truncate(path):
    path.write_bytes(path.read_bytes()[:100])


def _empty(path):
    path.write_bytes(b"")


def _reshape(path):
    np.save(path, np.zeros((3, 4), dtype=np.float32))


def _drop_sidecar(path):
    sidecar_path(path).unlink()


def _garble_sidecar(path):
    sidecar_path(path).write_text("{not json")


@pytest.mark.parametrize(
    "corrupt, reason",
    [
        (_permute, "checksum"),
        (_truncate, "unreadable"),
        (_empty, "unreadable"),
        (_reshape, "shape"),
        (_drop_sidecar, "no sidecar"),
        (_garble_sidecar, "unreadable sidecar"),
    ],
)
def test_a_bad_entry_is_reported_once_naming_the_file_and_deleted(entry, corrupt, reason):
    path, _ = entry
    corrupt(path)
    with pytest.warns(CacheWarning, match=reason) as caught:
        assert load_array(path, KEY, (4, 4)) is None
    assert len(caught) == 1 and str(path) in str(caught[0].message)
    assert not path.exists() and not sidecar_path(path).exists()


def test_an_entry_of_other_inputs_or_shape_is_stale(entry):
    path, matrix = entry
    with pytest.warns(CacheWarning, match="other inputs"):
        assert load_array(path, {**KEY, "code": "v2"}) is None
    save_array(matrix, path, KEY)
    with pytest.warns(CacheWarning, match=r"expected \(5, 5\)"):
        assert load_array(path, KEY, (5, 5)) is None


def test_source_digest_is_the_code_version(tmp_path, monkeypatch):
    package = tmp_path / "fakepkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "features.py").write_text("SCALE = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    first = source_digest.__wrapped__("fakepkg")
    (package / "features.py").write_text("SCALE = 2\n")
    assert source_digest.__wrapped__("fakepkg") != first
    assert source_digest("cbred.distances") == source_digest("cbred.distances")
    with pytest.raises(ValueError, match="no_such_module"):
        source_digest.__wrapped__("no_such_module")


def test_verified_parquet_detects_truncation_and_edits(tmp_path):
    frame = pd.DataFrame({"key": ["k", "k"], "arch": ["a", "b"], "mean": [1.0, np.nan], "error": [None, "x"]})
    path = write_verified_parquet(frame, tmp_path / "shard.parquet", {"keys": {}})
    read, key = read_verified_parquet(path)
    assert key == {"keys": {}} and read["arch"].tolist() == ["a", "b"]
    frame.assign(mean=[2.0, np.nan]).to_parquet(tmp_path / "edited.parquet")
    path.write_bytes(path.read_bytes()[:-40])
    for bad, reason in ((path, "unreadable"), (tmp_path / "edited.parquet", "no cbred header")):
        with pytest.warns(CacheWarning, match=reason) as caught:
            assert read_verified_parquet(bad) is None
        assert str(bad) in str(caught[0].message) and not bad.exists()
