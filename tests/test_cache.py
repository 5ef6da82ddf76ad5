import os

import numpy as np
import pandas as pd
import pytest

from cbred.cache import atomic_write, config_key, write_npy, write_parquet


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


def test_atomic_files_get_the_usual_mode(tmp_path):
    path = write_npy(np.zeros(2), tmp_path / "z.npy")
    mask = os.umask(0)
    os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~mask


def test_parquet_and_npy_round_trip(tmp_path):
    frame = pd.DataFrame({"x": [1.0, 2.0]}, index=pd.Index(["a", "b"], name="arch"))
    assert pd.read_parquet(write_parquet(frame, tmp_path / "f.parquet")).equals(frame)
    array = np.arange(6, dtype=np.float32).reshape(2, 3)
    assert np.array_equal(np.load(write_npy(array, tmp_path / "a.npy")), array)
