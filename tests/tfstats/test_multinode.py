"""The TF runner over two "nodes" on localhost, one process each (gloo on CPU), started by
torchrun or as srun starts the tasks of a SLURM job, writes the table that one process writes."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cbred.paths import PROJECT_ROOT
from tests.tfstats._tiny import tiny_runner_config



def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def torchrun(node_rank: int, port: int) -> tuple[list[str], dict]:
    """One node's ``torchrun`` (``python -m torch.distributed.run`` is its entry point) running the
    runner module: a static rendezvous at 127.0.0.1:port, as on two hosts."""
    launcher = [sys.executable, "-m", "torch.distributed.run", "--nnodes=2", "--nproc-per-node=1",
                f"--node-rank={node_rank}", "--master-addr=127.0.0.1", f"--master-port={port}", "-m"]
    return launcher, {}


def srun(node_rank: int, port: int) -> tuple[list[str], dict]:
    """The task ``node_rank`` of a SLURM job of two nodes, one task each: the variables srun sets,
    which Lightning's SLURMEnvironment reads (the port given, not derived from the job id)."""
    variables = {"SLURM_JOB_ID": "4242", "SLURM_JOB_NAME": "cbred-tfstats", "SLURM_NTASKS": "2",
                 "SLURM_NNODES": "2", "SLURM_NTASKS_PER_NODE": "1", "SLURM_NODELIST": "127.0.0.1",
                 "SLURM_PROCID": str(node_rank), "SLURM_NODEID": str(node_rank), "SLURM_LOCALID": "0",
                 "MASTER_PORT": str(port)}
    return [sys.executable, "-m"], variables


def launch_nodes(launcher, conf, overrides, cwd) -> list[str]:
    """Both nodes of ``launcher`` to the end; their output, node 0's first."""
    port = free_port()
    nodes = []
    for rank in (0, 1):
        command, variables = launcher(rank, port)
        command = [*command, "cbred.tfstats.runner", "--config-dir", str(conf), "--config-name", "tiny", *overrides]
        # a test run inside a SLURM job must not look like an srun launch to the torchrun nodes
        env = {key: value for key, value in os.environ.items() if not key.startswith("SLURM_")}
        env.update(PYTHONPATH=str(PROJECT_ROOT), **variables)
        nodes.append(subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                      text=True))
    logs = [node.communicate(timeout=240)[0] for node in nodes]
    for rank, (node, log) in enumerate(zip(nodes, logs)):
        assert node.returncode == 0, f"node {rank} failed:\n{log[-3000:]}"
    # the global-zero process alone writes the table and reports it (the command's last line)
    assert ["architectures in" in log for log in logs] == [True, False]
    return logs


def check_two_nodes(launcher, tmp_path) -> tuple[list, Path]:
    """Two nodes of ``launcher`` and one process: the same table; the arguments of a rerun."""
    from hydra import compose, initialize_config_dir

    from cbred.tfstats.runner import read_cache, run

    conf = tmp_path / "conf"
    conf.mkdir()
    (conf / "tiny.yaml").write_text(tiny_runner_config())
    output = tmp_path / "two_nodes.parquet"
    overrides = ["num_nodes=2", "processes=1", "strategy=ddp", f"cache={tmp_path / 'cache2'}", f"output={output}"]
    launch_nodes(launcher, conf, overrides, tmp_path)

    with initialize_config_dir(str(conf), version_base="1.3"):
        cfg = compose("tiny", overrides=[f"cache={tmp_path / 'cache1'}", f"output={tmp_path / 'one.parquet'}"])
    run(cfg)
    one, two = pd.read_parquet(tmp_path / "one.parquet"), pd.read_parquet(output)
    assert len(one) == 7 and list(two.index) == list(one.index) and list(two.columns) == list(one.columns)
    values = ["naswot_v2", "snip", "params"]
    np.testing.assert_allclose(two[values].to_numpy(), one[values].to_numpy(), rtol=1e-6, equal_nan=True)
    errors = [f"{v}_error" for v in values]  # e.g. NASWOT of a cell without a path: failed alike
    pd.testing.assert_frame_equal(two[errors], one[errors])
    # both ranks measured (a shard each), and rank 0 merged them into one run file
    shards = tmp_path / "cache2" / "nb201"
    assert [f.name.startswith("run-") for f in shards.glob("*.parquet")] == [True]
    assert len(read_cache(shards)) == len(read_cache(tmp_path / "cache1" / "nb201"))
    return [conf, overrides, tmp_path], output


@pytest.mark.slow
def test_two_torchrun_nodes_write_the_table_of_one_process(tmp_path):
    check_two_nodes(torchrun, tmp_path)


@pytest.mark.slow
def test_two_srun_tasks_write_the_table_of_one_process_and_rerun_from_the_cache(tmp_path):
    rerun, output = check_two_nodes(srun, tmp_path)
    table = pd.read_parquet(output)
    output.unlink()
    # nothing is pending: no process group forms, and only rank 0 (SLURM_PROCID) writes the table
    launch_nodes(srun, *rerun)
    pd.testing.assert_frame_equal(pd.read_parquet(output), table)
    assert len(list((tmp_path / "cache2" / "nb201").glob("*.parquet"))) == 1
