"""Speed of each training-free statistic: cells per second, proxy and full-size network.

For each configuration of ``configs/tfstats_runner`` (``proxy``: the embedded table's;
``full``: C=16, N=5, batch 64 at 32x32) and each statistic, evaluates the statistic on a
few NB201 cells (one repeat each, one process, ``--threads`` intra-op threads) and prints
wall-clock and CPU seconds per evaluation and cells per second. The table's cost per cell
follows: stochastic statistics run ``repeats`` times per isomorphism class (6,466 of the
15,625 cells), costs once per cell.

On a shared machine wall-clock time depends on the load; CPU time does much less.

Run: ``python benchmarks/tfstats_speed.py [--cells 10] [--threads 2]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate

from cbred.models import build_network
from cbred.paths import PROJECT_ROOT
from cbred.tfstats.runner import make_plan

N_CLASSES, N_CELLS = 6466, 15625


def measure(config: str, n_cells: int, overrides: list[str]):
    with initialize_config_dir(str(PROJECT_ROOT / "configs" / "tfstats_runner"), version_base="1.3"):
        cfg = compose(config, overrides=overrides)
    space = instantiate(cfg.space)
    plan = make_plan(
        space,
        list(cfg.statistics),
        instantiate(cfg.probe),
        {k: instantiate(v) for k, v in (cfg.get("probes") or {}).items()},
        int(cfg.repeats),
        int(cfg.seed),
    )
    cells = list(space.ids)[1000 :: len(space) // n_cells][:n_cells]
    timings: dict[str, tuple[float, float]] = {}
    for stat in plan.statistics:
        probe = plan.probes[stat.name]
        batch = probe.inputs.sample(probe.batch_size, 0)
        wall = cpu = 0.0
        for arch in cells:
            torch.manual_seed(0)
            network = build_network(space, arch, **probe.network)
            w, c = time.perf_counter(), time.process_time()
            try:
                stat.fn(network, batch)
            except FloatingPointError:
                pass  # degenerate cells cost the same
            wall += time.perf_counter() - w
            cpu += time.process_time() - c
        timings[stat.name] = (wall / len(cells), cpu / len(cells))
    return timings, plan


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cells", type=int, default=10)
    parser.add_argument("--full-cells", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    for config, n in (("proxy", args.cells), ("full", args.full_cells)):
        timings, plan = measure(config, n, [])
        print(f"\n{config}: {n} cells, {args.threads} threads")
        print(f"{'statistic':<15} {'wall s':>8} {'cpu s':>8} {'cells/s':>8}")
        for name, (wall, cpu) in timings.items():
            print(f"{name:<15} {wall:>8.4f} {cpu:>8.4f} {1 / wall:>8.1f}")
        per_cell = sum(
            t[0] * (plan.repeats[s.name] * N_CLASSES / N_CELLS if s.invariant else 1)
            for s, t in zip(plan.statistics, timings.values())
        )
        print(f"all statistics, table cost per cell (repeats, once per class): {per_cell:.3f} s wall")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
