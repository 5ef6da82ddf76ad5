import os
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

from cbred.paths import PROJECT_ROOT
from cbred.tfstats.runner import read_cache, run
from tests.tfstats._tiny import tiny_runner_config



@pytest.mark.slow
def test_sigkilled_run_restarts_without_losing_or_recomputing_rows(tmp_path):
    (tmp_path / "conf").mkdir()
    output = tmp_path / "table.parquet"
    (tmp_path / "conf" / "kill.yaml").write_text(
        tiny_runner_config(archs_limit=150, cache=str(tmp_path / "cache"), output=str(output))
    )
    shards = tmp_path / "cache" / "nb201"
    command = [sys.executable, "-m", "cbred.tfstats.runner", "--config-dir", str(tmp_path / "conf"),
               "--config-name", "kill"]
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
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


def test_archs_limit_and_the_count_options_are_validated(tmp_path):
    from hydra import compose, initialize_config_dir

    with initialize_config_dir(str(PROJECT_ROOT / "configs" / "tfstats_runner"), version_base="1.3"):
        for override, option in (("archs_limit=-5", "archs_limit"), ("archs_limit=0", "archs_limit"),
                                 ("archs_limit=2.5", "archs_limit"), ("repeats=0", "repeats"),
                                 ("processes=0", "processes"), ("num_nodes=-1", "num_nodes"),
                                 ("seed=-1", "seed"), ("repeats=true", "repeats")):
            cfg = compose("proxy", overrides=[override, f"cache={tmp_path}"])
            with pytest.raises(ValueError, match=rf"{option} must be an integer"):
                run(cfg)
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
        assert run(cfg)["n_archs"] == 2  # evenly spaced among the file's 4 ids
        (tmp_path / "empty.txt").write_text("\n")
        with pytest.raises(ValueError, match="empty.txt lists no architecture"):
            run(compose("proxy", overrides=[f"archs_file={tmp_path / 'empty.txt'}", f"cache={tmp_path}"]))
        nb101 = compose("nb101")
    assert nb101.archs_file.endswith("nb101_tf_sample.txt") and "linear_regions" not in nb101.statistics
