"""C-BRED at NAS-Bench-101 scale (423,624 cells) without an N x N matrix: time and peak memory.

The TF statistics are SYNTHETIC here (graph features plus noise; no NB101 table exists in
the project), so the figures are timings, not quality. Three routes:

* ``embedding``: a Euclidean distance (Hellinger on histograms of (source op, target op) edges) -> its embedding
  -> k-means with stability selection on subsamples of at most ``max_samples`` points;
* ``landmarks``: a non-Euclidean distance (Jensen-Shannon) -> landmark MDS from an
  ``N x L`` block -> k-means;
* ``knn``: the Hellinger embedding -> sparse kNN graph -> spectral clustering.

    python benchmarks/reduce_scale.py [--routes embedding landmarks knn] [--cells N]
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
import pandas as pd

from cbred.clustering import MetricKMeans, MetricSpectral, StabilitySelection
from cbred.spaces.nb101 import NB101Space
from cbred.distances.probabilistic import Hellinger, JensenShannon
from cbred.pipeline import reduce_space
from cbred.selection import ClusterSelection, median_rank

FEATURE = {"feature": "edge_pair_histogram"}


def synthetic_statistics(space: NB101Space, seed: int = 0) -> pd.DataFrame:
    """Two made-up statistics (conv counts plus noise): enough to score clusters, nothing more."""
    rng = np.random.default_rng(seed)
    counts = space.graphs().op_counts().astype(float)
    convs = counts[:, 1] + counts[:, 2]
    return pd.DataFrame(
        {"stat_a": convs + rng.normal(0, 1, len(convs)), "stat_b": -convs + rng.normal(0, 1, len(convs))},
        index=pd.Index(space.ids, name="arch"),
    )


def routes(seed: int):
    stability = dict(n_resamples=5, max_samples=20_000, random_state=seed, progress=True)
    kmeans = StabilitySelection(MetricKMeans(random_state=seed), param_grid={"n_clusters": list(range(4, 13, 2))},
                                **stability)
    return {
        "embedding": (Hellinger(**FEATURE), kmeans, {}),
        "landmarks": (JensenShannon(**FEATURE), kmeans, {"max_dense": 20_000, "n_landmarks": 1_000}),
        "knn": (
            Hellinger(**FEATURE),
            StabilitySelection(MetricSpectral(n_neighbors=15, eigen_solver="lobpcg", random_state=seed),
                               param_grid={"n_clusters": [4, 8]}, **stability),
            {},
        ),
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--routes", nargs="+", default=["embedding", "landmarks", "knn"])
    parser.add_argument("--cells", type=int, default=None, help="a random subset of the space (default: all)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    start = time.perf_counter()
    space = NB101Space.enumerated()
    if args.cells:
        keep = np.random.default_rng(args.seed).choice(len(space), args.cells, replace=False)
        space = NB101Space(space.table.iloc[np.sort(keep)])
    table = synthetic_statistics(space, args.seed)
    print(f"{len(space):,} NB101 cells loaded, synthetic statistics in {time.perf_counter() - start:.1f} s")
    for name in args.routes:
        distance, clusterer, representation = routes(args.seed)[name]
        start = time.perf_counter()
        result = reduce_space(
            space, table, distance, clusterer, ClusterSelection(median_rank, min_size=100),
            statistics=["stat_a", "stat_b"], directions={"stat_a": 1, "stat_b": 1},
            representation=representation, random_state=args.seed,
        )
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
        steps = ", ".join(f"{k} {v:.1f} s" for k, v in result.timings.items())
        print(
            f"{name}: {result.representation.kind} {result.representation.X.shape}, {result.n_points:,} distinct "
            f"points, K={result.best_params['n_clusters']} (stability {result.stability_score:.3f}), selected "
            f"{len(result.selected):,} cells; {time.perf_counter() - start:.1f} s ({steps}); peak RSS {peak:.1f} GiB"
        )


if __name__ == "__main__":
    main()
