"""C-BRED with the learned distance on all 423,624 NAS-Bench-101 cells: time and peak memory.

Every step the pipeline runs, at full scale, without an N x N matrix:

1. the enumerated space (``NB101Space.enumerated()``, cached after its first ~30 s);
2. the graphs of all cells;
3. the learned embedding (``LearnedDistance.embed``; throughput in cells per second);
4. clustering of the embedding by the pipeline (:func:`cbred.pipeline.reduce_space`), with
   stability selection of K on subsamples, either by k-means (``kmeans``) or by spectral
   clustering of a sparse kNN graph (``knn``).

The TF statistics are SYNTHETIC (graph features plus noise; the project has no NB101 TF
table), so the figures are timings, not reduction quality.

    python benchmarks/learned_nb101.py --checkpoint outputs/.../checkpoints/best.ckpt [--routes kmeans knn]

The checkpoint is an NB101 encoder (``python train.py space=nb101``).
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np

from cbred.clustering import MetricKMeans, MetricSpectral, StabilitySelection
from cbred.spaces.nb101 import NB101Space
from cbred.learned.distance import LearnedDistance
from cbred.pipeline import reduce_space
from cbred.selection import ClusterSelection, median_rank
from reduce_scale import synthetic_statistics  # benchmarks/ is on sys.path when run as a script


def clusterers(seed: int) -> dict:
    stability = dict(n_resamples=5, max_samples=20_000, random_state=seed, progress=True)
    return {
        "kmeans": StabilitySelection(
            MetricKMeans(random_state=seed), param_grid={"n_clusters": list(range(4, 13, 2))}, **stability
        ),
        "knn": StabilitySelection(
            MetricSpectral(n_neighbors=15, eigen_solver="lobpcg", random_state=seed),
            param_grid={"n_clusters": [4, 8]}, **stability,
        ),
    }


def peak_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", required=True, help="an NB101 encoder written by train.py")
    parser.add_argument("--routes", nargs="+", default=["kmeans", "knn"], choices=["kmeans", "knn"])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    clock = time.perf_counter()
    space = NB101Space.enumerated()
    print(f"space: {len(space):,} cells in {time.perf_counter() - clock:.1f} s")

    clock = time.perf_counter()
    graphs = space.graphs()
    print(f"graphs: {time.perf_counter() - clock:.1f} s")

    distance = LearnedDistance(checkpoint=args.checkpoint, cache=False, progress=True)
    distance.model()  # read the checkpoint outside the timing
    clock = time.perf_counter()
    embedding = distance.embed(graphs)
    seconds = time.perf_counter() - clock
    print(f"embedding {embedding.shape}: {seconds:.1f} s, {len(graphs) / seconds:,.0f} cells/s, "
          f"{len(np.unique(embedding, axis=0)):,} distinct points, peak {peak_gib():.1f} GiB")

    tf = synthetic_statistics(space, args.seed)
    selection = ClusterSelection(score=median_rank, variant="C", min_size=100)
    for route in args.routes:
        clock = time.perf_counter()
        reduction = reduce_space(
            space, tf, distance, clusterers(args.seed)[route], selection,
            statistics=["stat_a", "stat_b"], directions={"stat_a": 1, "stat_b": 1}, dedup=False,
            random_state=args.seed,
        )
        total = time.perf_counter() - clock
        steps = ", ".join(f"{k} {v:.1f} s" for k, v in reduction.timings.items())
        print(f"{route}: {total:.1f} s end to end ({steps}); K={reduction.n_clusters}, "
              f"representation={reduction.representation.kind}, selected {len(reduction.selected):,} "
              f"cells; peak {peak_gib():.1f} GiB")


if __name__ == "__main__":
    main()
