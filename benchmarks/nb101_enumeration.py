"""Time the enumeration of the whole NAS-Bench-101 space.

    python benchmarks/nb101_enumeration.py [--processes N]

Prints the number of unique cells (must be 423,624), the time per stage and in total,
and checks every published hash of ``../shared/data/nb101_1k.jsonl`` is among them.
"""

from __future__ import annotations

import argparse
import time

import pandas as pd

from cbred.spaces.nb101 import MAX_VERTICES
from cbred.spaces.nb101_enumeration import N_CELLS, enumerate_space, unlabelled_classes
from cbred.paths import reference_data_dir


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--processes", type=int, default=None)
    args = parser.parse_args()

    start = time.perf_counter()
    n_graphs = sum(len(unlabelled_classes(n)) for n in range(2, MAX_VERTICES + 1))
    graphs_s = time.perf_counter() - start

    start = time.perf_counter()
    table = enumerate_space(args.processes, progress=False)
    total_s = time.perf_counter() - start

    print(f"unlabelled full DAGs up to isomorphism: {n_graphs:,} ({graphs_s:.1f} s)")
    print(f"unique cells: {len(table):,} (expected {N_CELLS:,})")
    print(f"enumeration + hashing: {total_s:.1f} s")
    published = reference_data_dir() / "nb101_1k.jsonl"
    if published.exists():
        hashes = pd.read_json(published, lines=True)["hash"]
        print(f"published hashes found: {hashes.isin(table.index).sum()} / {len(hashes)}")


if __name__ == "__main__":
    main()
