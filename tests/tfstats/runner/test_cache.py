import numpy as np
import pandas as pd
import pytest

from cbred.tfstats.runner import compact_cache, compute_table, read_cache


def test_successive_runs_in_one_process_keep_each_others_rows(space, archs, probe, tmp_path):
    first = compute_table(space, ["params"], probe=probe, archs=archs[:2], cache=tmp_path, progress=False)
    second = compute_table(space, ["params"], probe=probe, archs=archs[2:4], cache=tmp_path, progress=False)
    assert len(read_cache(tmp_path / "nb201")) == 4
    both = compute_table(space, ["params"], probe=probe, archs=archs[:4], cache=tmp_path, progress=False)
    pd.testing.assert_series_equal(both["params"], pd.concat([first, second])["params"])


def test_reading_the_cache_while_a_writer_rewrites_and_compacts_shards(tmp_path):
    """The kill-resume test's monitor reads shards that a live run keeps replacing."""
    import threading

    from cbred.cache import config_key, write_verified_parquet

    inputs = {"statistic": "s"}
    header = {"keys": {config_key(inputs): inputs}}

    def rows(n):
        return pd.DataFrame({"key": [config_key(inputs)] * n, "arch": [f"a{i}" for i in range(n)], "statistic": "s",
                             "mean": np.arange(n, dtype=float), "std": 0.0, "repeats": 1, "error": None,
                             "seconds": 0.0})

    stop, seen, errors = threading.Event(), [], []

    def write():
        for n in range(1, 150):
            write_verified_parquet(rows(n), tmp_path / "shard-run-r0-00000.parquet", header)
            if n % 50 == 0:  # what compact_cache does: the run file, then the shard goes
                compact_cache(tmp_path, "run", header)
        stop.set()

    writer = threading.Thread(target=write)
    writer.start()
    while not stop.is_set():
        try:
            seen.append(len(read_cache(tmp_path)))
        except Exception as error:  # noqa: BLE001 (the test reports any failure)
            errors.append(error)
            break
    writer.join()
    assert not errors, errors
    assert len(seen) > 20 and seen == sorted(seen)  # rows never vanish from a read


@pytest.mark.parametrize(
    "corrupt, reason",
    [
        (lambda path: path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2]), "unreadable"),
        (lambda path: pd.read_parquet(path).assign(mean=1.0).to_parquet(path), "no cbred header"),
    ],
    ids=["truncated", "rewritten-without-header"],
)
def test_a_bad_cache_file_is_named_dropped_and_its_rows_recomputed(space, archs, probe, tmp_path, corrupt, reason):
    from cbred.cache import CacheWarning

    table = compute_table(space, ["params"], probe=probe, archs=archs[:2], cache=tmp_path, progress=False)
    (shard,) = (tmp_path / "nb201").glob("*.parquet")
    corrupt(shard)
    with pytest.warns(CacheWarning, match=rf"{shard.name}.*{reason}"):
        again = compute_table(space, ["params"], probe=probe, archs=archs[:2], cache=tmp_path, progress=False)
    pd.testing.assert_frame_equal(again, table)
    assert not shard.exists() and len(read_cache(tmp_path / "nb201")) == 2
