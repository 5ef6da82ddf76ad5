"""Speed of each training-free statistic: cells per second, proxy and full-size network.

``--compare N``: seconds per isomorphism class of the runner's evaluation
(:func:`cbred.tfstats.runner.evaluate`) of the default aggregate's statistics
(``configs/tfstats/default.yaml``) with the embedded table's set-up
(``configs/tfstats_runner/repeats.yaml``: proxy probes, 3 repeats), the separate evaluation
(``shared=False``, every statistic its own forward pass: the previous evaluation) against the
shared one, on the same ``N`` classes in the same process, one thread (as the runner). Each
class is evaluated ``--rounds`` times by each path, alternating which goes first (ABBA...), so
that a change of the machine's load reaches both alike; the medians over rounds, then over
classes, are written with the load average to ``benchmarks/results/tfstats_speed/``.

Otherwise, for each configuration of ``configs/tfstats_runner`` (``proxy``: the embedded table's;
``full``: C=16, N=5, batch 64 at 32x32) and each statistic, evaluates the statistic on a
few NB201 cells (one repeat each, one process, ``--threads`` intra-op threads) and prints
wall-clock and CPU seconds per evaluation and cells per second. The table's cost per cell
follows: stochastic statistics run ``repeats`` times per isomorphism class (6,466 of the
15,625 cells), costs once per cell.

On a shared machine wall-clock time depends on the load; CPU time does much less.

Run: ``python benchmarks/tfstats_speed.py [--cells 10] [--threads 2]``, or
``python benchmarks/tfstats_speed.py --compare 40 [--rounds 2]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import yaml
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate

from cbred.models import build_network
from cbred.paths import PROJECT_ROOT
from cbred.tfstats.runner import evaluate, make_plan

N_CLASSES, N_CELLS = 6466, 15625
RESULTS = PROJECT_ROOT / "benchmarks" / "results" / "tfstats_speed"
#: The evaluations compared by ``--compare``: name -> ``shared`` argument of ``evaluate``.
PATHS = {"separate": False, "shared": True}


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


def default_plan():
    """The plan of the embedded table's set-up for the default aggregate's statistics."""
    names = yaml.safe_load((PROJECT_ROOT / "configs" / "tfstats" / "default.yaml").read_text())["statistics"]
    with initialize_config_dir(str(PROJECT_ROOT / "configs" / "tfstats_runner"), version_base="1.3"):
        cfg = compose("repeats", overrides=[f"statistics=[{','.join(names)}]"])
    space = instantiate(cfg.space)
    probes = {k: instantiate(v) for k, v in (cfg.get("probes") or {}).items()}
    return make_plan(space, list(cfg.statistics), instantiate(cfg.probe), probes, int(cfg.repeats), int(cfg.seed))


def time_class(plan, arch: str, shared: bool) -> dict[str, float]:
    """Seconds of one evaluation of ``arch``: per statistic (as the runner records them) and in all."""
    names = [s.name for s in plan.statistics]
    wall, cpu = time.perf_counter(), time.process_time()
    rows = evaluate(plan, arch, names, torch.device("cpu"), shared=shared)
    seconds = {r["statistic"]: r["seconds"] for r in rows}
    return {**seconds, "total": time.perf_counter() - wall, "total_cpu": time.process_time() - cpu}


def compare(n_classes: int, rounds: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-class timings of every path (raw) and their medians (summary), on ``n_classes`` classes."""
    plan = default_plan()
    reps = plan.space.representatives(list(plan.space.ids))
    classes = pd.unique(reps.to_numpy())
    chosen = [classes[i] for i in sorted(np.random.default_rng(seed).choice(len(classes), n_classes, replace=False))]
    for shared in PATHS.values():  # warm-up: first calls pay for imports and allocations
        time_class(plan, chosen[0], shared)
    raw = []
    for k, arch in enumerate(chosen):
        for r in range(rounds):
            order = list(PATHS) if (k + r) % 2 == 0 else list(PATHS)[::-1]  # each path first half the time
            for path in order:
                raw.append({"arch": arch, "round": r, "path": path, **time_class(plan, arch, PATHS[path])})
    raw = pd.DataFrame(raw)
    per_class = raw.drop(columns="round").groupby(["path", "arch"]).median()
    summary = per_class.groupby("path").median().T[list(PATHS)]
    summary["speed-up"] = summary["separate"] / summary["shared"]
    summary.index.name = "seconds per class"
    return raw, summary


def write_comparison(raw: pd.DataFrame, summary: pd.DataFrame, args, load: tuple, seconds: float) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    raw.to_csv(RESULTS / "shared_vs_separate_raw.csv", index=False, float_format="%.5f")
    summary.to_csv(RESULTS / "shared_vs_separate.csv", float_format="%.4f")
    lines = [
        "# Seconds per isomorphism class: separate vs shared evaluation",
        "",
        f"`python benchmarks/tfstats_speed.py --compare {args.compare} --rounds {args.rounds}`: the default",
        "aggregate's statistics with the embedded table's set-up (proxy probes, 3 repeats), one thread,",
        f"{args.compare} NB201 isomorphism classes drawn uniformly (seed 0), each evaluated {args.rounds} times",
        "by each path in alternating order; medians over rounds, then over classes. `total`: wall-clock",
        "seconds of the whole evaluation (network construction and batches included); `total_cpu`: its",
        "CPU seconds; per statistic: the seconds the runner records (a shared forward pass counts for the",
        "statistic that asks for it first). `separate` is the previous evaluation (every statistic its",
        "own forward pass, ntk_cond's Jacobian by autograd's own batching) but for ntk_cond's finiteness",
        "test, now on the Jacobian's sum in both paths; `shared` gives the same values (tests/tfstats/runner/test_shared.py).",
        "",
        f"Machine: {os.cpu_count()} CPUs, {platform.processor() or platform.machine()}, torch {torch.__version__};",
        f"load average (1, 5, 15 min) {load[0][0]:.2f} / {load[0][1]:.2f} / {load[0][2]:.2f} at the start,",
        f"{load[1][0]:.2f} / {load[1][1]:.2f} / {load[1][2]:.2f} at the end; {seconds / 60:.1f} min in all.",
        "",
        "| seconds per class | " + " | ".join(summary.columns) + " |",
        "| --- |" + " ---: |" * len(summary.columns),
        *(f"| {name} | " + " | ".join(f"{v:.4f}" if c != "speed-up" else f"{v:.2f}x" for c, v in row.items()) + " |"
          for name, row in summary.iterrows()),
        "",
    ]
    path = RESULTS / "shared_vs_separate.md"
    path.write_text("\n".join(lines))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cells", type=int, default=10)
    parser.add_argument("--full-cells", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--compare", type=int, default=0, metavar="N",
                        help="time the separate and the shared evaluation on N isomorphism classes instead")
    parser.add_argument("--rounds", type=int, default=2, help="evaluations of each class by each path (--compare)")
    args = parser.parse_args()
    if args.compare:
        torch.set_num_threads(1)  # as the runner's processes
        start, load = time.perf_counter(), os.getloadavg()
        raw, summary = compare(args.compare, args.rounds)
        path = write_comparison(raw, summary, args, (load, os.getloadavg()), time.perf_counter() - start)
        print(path.read_text())
        return
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
