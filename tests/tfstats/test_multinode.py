"""The TF runner over two "nodes" (two torchrun agents on localhost, one process each, gloo on
CPU) writes the table that one process writes."""

import os
import socket
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from cbred.paths import PROJECT_ROOT

CONFIG = """
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
archs_limit: 7
device: cpu
processes: 1
num_nodes: 1
strategy: auto
cache: null
progress: false
benchmark_costs: false
output: null
hydra: {output_subdir: null, run: {dir: .}}
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def launch_node(node_rank: int, port: int, conf, overrides, cwd) -> subprocess.Popen:
    """One node's ``torchrun`` (``python -m torch.distributed.run`` is the same entry point) running
    the runner module: a static rendezvous at 127.0.0.1:port, as on two hosts."""
    command = [sys.executable, "-m", "torch.distributed.run", "--nnodes=2", "--nproc-per-node=1",
               f"--node-rank={node_rank}", "--master-addr=127.0.0.1", f"--master-port={port}",
               "-m", "cbred.tfstats.runner", "--config-dir", str(conf), "--config-name", "tiny", *overrides]
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    return subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def launch_nodes(conf, overrides, cwd) -> list[str]:
    """Both nodes to the end; their output, node 0's first."""
    port = free_port()
    nodes = [launch_node(rank, port, conf, overrides, cwd) for rank in (0, 1)]
    logs = [node.communicate(timeout=240)[0] for node in nodes]
    for rank, (node, log) in enumerate(zip(nodes, logs)):
        assert node.returncode == 0, f"node {rank} failed:\n{log[-3000:]}"
    return logs


@pytest.mark.slow
def test_two_torchrun_nodes_write_the_table_of_one_process(tmp_path):
    from hydra import compose, initialize_config_dir

    from cbred.tfstats.runner import read_cache, run

    conf = tmp_path / "conf"
    conf.mkdir()
    (conf / "tiny.yaml").write_text(CONFIG)
    output = tmp_path / "two_nodes.parquet"
    overrides = ["num_nodes=2", "processes=1", "strategy=ddp", f"cache={tmp_path / 'cache2'}", f"output={output}"]
    logs = launch_nodes(conf, overrides, tmp_path)
    # the global-zero process alone writes the table and reports it (the command's last line)
    assert ["architectures in" in log for log in logs] == [True, False]

    with initialize_config_dir(str(conf), version_base="1.3"):
        cfg = compose("tiny", overrides=[f"cache={tmp_path / 'cache1'}", f"output={tmp_path / 'one.parquet'}"])
    run(cfg)
    one, two = pd.read_parquet(tmp_path / "one.parquet"), pd.read_parquet(output)
    assert len(one) == 7 and list(two.index) == list(one.index) and list(two.columns) == list(one.columns)
    values = ["naswot_v2", "snip", "params"]
    np.testing.assert_allclose(two[values].to_numpy(), one[values].to_numpy(), rtol=1e-6, equal_nan=True)
    errors = [f"{v}_error" for v in values]  # e.g. NASWOT of a cell without a path: failed alike
    pd.testing.assert_frame_equal(two[errors], one[errors])
    # both ranks measured (a shard each), and rank 0 compacted them into one run file
    shards = tmp_path / "cache2" / "nb201"
    assert [f.name.startswith("run-") for f in shards.glob("*.parquet")] == [True]
    assert len(read_cache(shards)) == len(read_cache(tmp_path / "cache1" / "nb201"))

    # again: nothing is pending, no process group forms, and only rank 0 (RANK from torchrun) writes
    output.unlink()
    logs = launch_nodes(conf, overrides, tmp_path)
    assert ["architectures in" in log for log in logs] == [True, False]
    pd.testing.assert_frame_equal(pd.read_parquet(output), two)
    assert len(list(shards.glob("*.parquet"))) == 1
