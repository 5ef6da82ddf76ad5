import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

import cbred.tfstats.runner as runner
from cbred.tfstats.images import GaussianImages
from cbred.spaces.nb201 import NB201Space
from cbred.paths import PROJECT_ROOT
from cbred.tfstats import UnknownNameError
from cbred.tfstats.runner import Probe, compute_table, read_cache

ZERO = "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"
STATS = ["naswot_v2", "snip", "params"]


@pytest.fixture(scope="module")
def space():
    return NB201Space()


@pytest.fixture(scope="module")
def archs(space):
    """Two isomorphism classes of two members each, and the all-zero cell."""
    classes = space.isomorphism_classes()
    sizes = classes.value_counts()
    chosen = [c for c in sizes.index if sizes[c] >= 2 and "nor_conv" in c][:2]
    members = [a for c in chosen for a in classes.index[classes == c][:2]]
    return members + [ZERO]


@pytest.fixture
def probe():
    return Probe(network={"C": 2, "N": 1}, inputs=GaussianImages(resolution=8), batch_size=4)


def test_table_broadcasts_classes_records_failures_and_reuses_the_cache(space, archs, probe, tmp_path, monkeypatch):
    table = compute_table(space, STATS, probe=probe, archs=archs, repeats=2, cache=tmp_path, progress=False)
    assert list(table.index) == archs and table.index.name == "arch"
    assert list(table.columns) == STATS + [f"{s}_std" for s in STATS] + [f"{s}_error" for s in STATS]
    # isomorphic members share the invariant statistics; costs are per architecture
    for i in (0, 2):
        assert table["naswot_v2"].iloc[i] == table["naswot_v2"].iloc[i + 1]
    for arch in archs:
        network = runner.build_network("nb201", arch, C=2, N=1)
        assert table.loc[arch, "params"] == sum(p.numel() for p in network.parameters()) / 1e6
    assert (table["naswot_v2_std"].iloc[:4] > 0).all() and (table["params_std"] == 0).all()
    # the zero cell: every code is equal, the kernel singular -> NaN + reason, run goes on
    assert math.isnan(table.loc[ZERO, "naswot_v2"])
    assert "singular" in table.loc[ZERO, "naswot_v2_error"]
    assert table.loc[ZERO, "snip"] == 0.0 and table.loc[ZERO, "snip_error"] is None
    meta = table.attrs["tfstats"]
    assert meta["statistics"]["naswot_v2"]["probe"]["inputs"]["kind"] == "gaussian"
    assert meta["statistics"]["naswot_v2"]["repeats"] == 2 and meta["statistics"]["params"]["repeats"] == 1
    assert meta["n_isomorphism_classes"] == 3 and "torch" in meta["versions"]

    def must_not_run(*args, **kwargs):
        raise AssertionError("cached rows were recomputed")

    monkeypatch.setattr(runner, "evaluate", must_not_run)
    again = compute_table(space, STATS, probe=probe, archs=archs, repeats=2, cache=tmp_path, progress=False)
    pd.testing.assert_frame_equal(again, table)


def test_successive_runs_in_one_process_keep_each_others_rows(space, archs, probe, tmp_path):
    first = compute_table(space, ["params"], probe=probe, archs=archs[:2], cache=tmp_path, progress=False)
    second = compute_table(space, ["params"], probe=probe, archs=archs[2:4], cache=tmp_path, progress=False)
    assert len(read_cache(tmp_path / "nb201")) == 4
    both = compute_table(space, ["params"], probe=probe, archs=archs[:4], cache=tmp_path, progress=False)
    pd.testing.assert_series_equal(both["params"], pd.concat([first, second])["params"])


def test_unknown_statistic_lists_the_choices(space, probe, tmp_path):
    with pytest.raises(UnknownNameError, match=r"unknown statistic 'nwot' \(choices: .*naswot_v2"):
        compute_table(space, ["nwot"], probe=probe, archs=[ZERO], cache=tmp_path)
    with pytest.raises(UnknownNameError, match="unknown statistic 'jacov'"):
        compute_table(space, ["snip"], probe=probe, probes={"jacov": probe}, archs=[ZERO], cache=tmp_path)


class NaNNetwork(nn.Module):
    def __init__(self, *args, **kwargs):
        super().__init__()
        self.conv = nn.Conv2d(3, 10, 3)
        self.relu = nn.ReLU()

    def forward(self, x):
        return self.relu(self.conv(x)).mean(dim=(2, 3)) * float("nan")


def test_a_network_that_produces_nan_gives_nan_and_the_reason(space, archs, probe, tmp_path, monkeypatch):
    monkeypatch.setattr(runner, "build_network", lambda *args, **kwargs: NaNNetwork())
    table = compute_table(space, ["naswot_v1", "snip", "params"], probe=probe, archs=archs[:1], repeats=1,
                          cache=tmp_path, progress=False)
    for name in ("naswot_v1", "snip"):
        assert math.isnan(table[name].iloc[0])
        assert "FloatingPointError" in table[f"{name}_error"].iloc[0] and "not finite" in table[f"{name}_error"].iloc[0]
    assert table["params"].iloc[0] == sum(p.numel() for p in NaNNetwork().parameters()) / 1e6


@pytest.mark.slow
def test_two_cpu_processes_give_the_same_table(space, archs, probe, tmp_path):
    single = compute_table(space, STATS, probe=probe, archs=archs, repeats=1, cache=tmp_path / "a", progress=False)
    double = compute_table(space, STATS, probe=probe, archs=archs, repeats=1, cache=tmp_path / "b",
                           processes=2, strategy="ddp_spawn", progress=False)
    pd.testing.assert_frame_equal(single, double, check_like=False)
    shards = list((tmp_path / "b" / "nb201").glob("*.parquet"))
    assert len(shards) == 1  # both ranks' shards compacted into the run's file


KILL_CONFIG = """
defaults:
  - _self_
  - override hydra/job_logging: none
  - override hydra/hydra_logging: none
space: {_target_: cbred.spaces.nb201.NB201Space}
statistics: [naswot_v2, snip, params]
probe:
  _target_: cbred.tfstats.runner.Probe
  network: {C: 2, N: 1}
  inputs: {_target_: cbred.tfstats.images.GaussianImages, resolution: 8}
  batch_size: 4
probes: {}
repeats: 1
seed: 0
archs_limit: 150
device: cpu
processes: 1
num_nodes: 1
strategy: auto
cache: CACHE
progress: false
output: OUTPUT
hydra: {output_subdir: null, run: {dir: .}}
"""


@pytest.mark.slow
def test_sigkilled_run_restarts_without_losing_or_recomputing_rows(tmp_path):
    (tmp_path / "conf").mkdir()
    output = tmp_path / "table.parquet"
    (tmp_path / "conf" / "kill.yaml").write_text(
        KILL_CONFIG.replace("CACHE", str(tmp_path / "cache")).replace("OUTPUT", str(output))
    )
    shards = tmp_path / "cache" / "nb201"
    command = [sys.executable, "-m", "cbred.tfstats.runner", "--config-dir", str(tmp_path / "conf"),
               "--config-name", "kill"]
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    env.pop("CBRED_TFSTATS_RUN", None)
    process = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and process.poll() is None:
        if shards.exists() and len(read_cache(shards)) >= 40:
            break
        time.sleep(0.05)
    assert process.poll() is None, f"the run ended before it could be killed: {process.stderr.read()[-2000:]}"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    before = read_cache(shards)
    assert len(before) >= 40 and not output.exists()

    finished = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert finished.returncode == 0, finished.stderr[-2000:]
    table = pd.read_parquet(output)
    assert len(table) == 150 and table["params"].notna().all()
    after = read_cache(shards).set_index(["key", "arch"])
    kept = before.set_index(["key", "arch"])
    # no finished row lost, values unchanged
    assert kept.index.isin(after.index).all()
    np.testing.assert_array_equal(after.loc[kept.index, "mean"].to_numpy(), kept["mean"].to_numpy())
    # none recomputed: the second run's own file holds only rows the first did not finish
    (second,) = [f for f in shards.glob("run-*.parquet")]
    new = pd.read_parquet(second).set_index(["key", "arch"])
    assert len(new) > 0 and not new.index.isin(kept.index).any()


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
                runner.compact_cache(tmp_path, "run", header)
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


def test_archs_limit_and_the_count_options_are_validated(tmp_path):
    from hydra import compose, initialize_config_dir

    with initialize_config_dir(str(PROJECT_ROOT / "configs" / "tfstats_runner"), version_base="1.3"):
        for override, option in (("archs_limit=-5", "archs_limit"), ("archs_limit=0", "archs_limit"),
                                 ("archs_limit=2.5", "archs_limit"), ("repeats=0", "repeats"),
                                 ("processes=0", "processes"), ("num_nodes=-1", "num_nodes"),
                                 ("seed=-1", "seed"), ("repeats=true", "repeats")):
            cfg = compose("proxy", overrides=[override, f"cache={tmp_path}"])
            with pytest.raises(ValueError, match=rf"{option} must be an integer"):
                runner.run(cfg)
    assert not (tmp_path / "nb201").exists()  # nothing ran


def test_an_archs_file_restricts_the_table_to_its_ids(space, probe, tmp_path, monkeypatch):
    from hydra import compose, initialize_config_dir

    from cbred.paths import register_config_resolvers

    register_config_resolvers()
    ids = list(space.ids[:3]) + [space.ids[100]]
    listing = tmp_path / "ids.txt"
    listing.write_text("\n".join(ids) + "\n\n")
    with initialize_config_dir(str(PROJECT_ROOT / "configs" / "tfstats_runner"), version_base="1.3"):
        cfg = compose("proxy", overrides=[f"archs_file={listing}", f"cache={tmp_path}", "statistics=[params]",
                                          "archs_limit=2", "benchmark_costs=false", "progress=false"])
        assert runner.run(cfg)["n_archs"] == 2  # evenly spaced among the file's 4 ids
        (tmp_path / "empty.txt").write_text("\n")
        with pytest.raises(ValueError, match="empty.txt lists no architecture"):
            runner.run(compose("proxy", overrides=[f"archs_file={tmp_path / 'empty.txt'}", f"cache={tmp_path}"]))
        nb101 = compose("nb101")
    assert nb101.archs_file.endswith("nb101_tf_sample.txt") and "linear_regions" not in nb101.statistics


def test_cached_only_writes_the_finished_part_and_computes_nothing(space, probe, tmp_path):
    first = list(space.ids[:4])
    compute_table(space, ["params"], probe=probe, archs=first, repeats=1, cache=tmp_path, progress=False)
    files = sorted(p.name for p in (tmp_path / "nb201").iterdir())
    snapshot = compute_table(space, ["params"], probe=probe, archs=list(space.ids[:10]), repeats=1, cache=tmp_path,
                             progress=False, cached_only=True)
    assert list(snapshot.index) == first and snapshot["params"].notna().all()
    assert sorted(p.name for p in (tmp_path / "nb201").iterdir()) == files  # nothing computed or written
