"""Embedding throughput of the learned distance: all NB201 cells, all NB101 cells.

    python benchmarks/learned_throughput.py [--nb101-checkpoint PATH] [--repeats 3] [--threads N]

NB201 uses the packaged encoder; NB101 needs an NB101 encoder (``python train.py
space=nb101``) and the enumerated space (cached after its first ~30 s). Reported: the best
of ``--repeats`` timings of ``LearnedDistance.embed`` on all cells (graphs built
beforehand), in seconds and cells per second.
"""

from __future__ import annotations

import argparse
import time

import torch

from cbred.spaces.nb101 import NB101Space
from cbred.spaces.nb201 import NB201Space
from cbred.learned.distance import DEFAULT_CHECKPOINT, LearnedDistance


def best_time(distance: LearnedDistance, graphs, repeats: int) -> float:
    distance.model()  # checkpoint read outside the timing
    times = []
    for _ in range(repeats):
        clock = time.perf_counter()
        distance.embed(graphs)
        times.append(time.perf_counter() - clock)
    return min(times)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nb101-checkpoint", default=None)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch threads: {torch.get_num_threads()}")

    runs = [("nb201", NB201Space(), DEFAULT_CHECKPOINT)]
    if args.nb101_checkpoint:
        runs.append(("nb101", NB101Space.enumerated(), args.nb101_checkpoint))
    for name, space, checkpoint in runs:
        graphs = space.graphs()
        seconds = best_time(LearnedDistance(checkpoint=checkpoint, cache=False, progress=False), graphs,
                            args.repeats)
        print(f"{name}: {len(graphs):,} cells embedded in {seconds:.2f} s ({len(graphs) / seconds:,.0f} cells/s)")


if __name__ == "__main__":
    main()
