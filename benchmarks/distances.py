"""Timing and fidelity of the distances (issue 3). Not run by CI.

    nice python benchmarks/distances.py [--out results.json] [--no-scipy] [--quick]
        [--sections nb201-probabilistic nb201-edge nb201-ged nb101] [--jobs 2]

Sections (figures are wall-clock seconds as measured; the CPU is shared, so also CPU
seconds of this process and its workers):

1. NB201, all 15,625 cells: every probabilistic distance with every feature map, next to
   ``scipy.spatial.distance.pdist`` for the same metric where it has one (Jensen-Shannon:
   ``jensenshannon``; Hellinger: ``euclidean`` on ``sqrt(p) / sqrt(2)``), with the ratio
   and the largest difference; the per-edge transformation distance next to ``pdist``'s
   ``hamming`` (the same metric for uniform costs, times 6).
2. NB201 graph edit distance: the bipartite approximation on all pairs of the 6,466
   isomorphism classes (``space.isomorphism_classes()``), and its error against the exact
   distance on random pairs (mean, max, Spearman), next to plain Riesen-Bunke.
3. NB101, the 1,000 cells of ``nb101_1k.jsonl``: every distance, and the same error figures.

Peak resident memory (this process, and worker processes) closes the report. Caches are
off (every figure is a computation).
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import time
from contextlib import contextmanager

import numpy as np
from scipy.spatial.distance import pdist
from scipy.stats import spearmanr

from cbred.spaces.nb101 import NB101Space
from cbred.spaces.nb201 import NB201Space
from cbred.distances import (
    EdgeSubstitutionDistance,
    GraphEditDistance,
    Hellinger,
    JensenShannon,
    SymmetricKL,
    bipartite_ged,
    exact_ged,
)
from cbred.paths import reference_file

FEATURES = {
    "op_histogram": None,
    "edge_pair_histogram": None,
    "wl_subtree(depth=2)": ("wl_subtree", {"depth": 2}),
}
SECTIONS = ("nb201-probabilistic", "nb201-edge", "nb201-ged", "nb101")
PROBABILISTIC = {"hellinger": Hellinger, "jensen_shannon": JensenShannon, "sym_kl": SymmetricKL}


@contextmanager
def clock(results: dict, key: str):
    """Wall and CPU seconds (this process and finished children) of the block."""
    wall, cpu = time.perf_counter(), time.process_time()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    yield
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    results[key] = {
        "wall_s": round(time.perf_counter() - wall, 3),
        "cpu_s": round(
            time.process_time() - cpu
            + (after.ru_utime - children.ru_utime)
            + (after.ru_stime - children.ru_stime),
            3,
        ),
    }
    print(f"{key:<60} {results[key]['wall_s']:>9.2f} s wall {results[key]['cpu_s']:>9.2f} s cpu")


def feature_kwargs(label: str) -> dict:
    spec = FEATURES[label]
    if spec is None:
        return {"feature": label}
    return {"feature": spec[0], "feature_params": spec[1]}


def probabilistic_section(graphs, space_name: str, results: dict, with_scipy: bool) -> None:
    for label in FEATURES:
        for name, cls in PROBABILISTIC.items():
            distance = cls(**feature_kwargs(label), cache=False, progress=False)
            key = f"{space_name} {name} [{label}]"
            with clock(results, key):
                ours = distance.pairwise(graphs)
            if not with_scipy or label.startswith("wl") or name == "sym_kl":
                continue  # scipy has no symmetric KL; WL histograms are too wide to densify
            p = distance.distributions(graphs).toarray()
            ours_key, scipy_key = key, f"{key} scipy pdist"
            if name == "hellinger":
                with clock(results, scipy_key):  # euclidean on sqrt(p) / sqrt(2)
                    reference = pdist(np.sqrt(p) / math.sqrt(2), "euclidean")
            else:
                # pdist's jensenshannon uses natural logarithms: compare with base e
                ours_key = f"{key} (base e)"
                same = JensenShannon(base=math.e, **feature_kwargs(label), cache=False)
                with clock(results, ours_key):
                    ours = same.pairwise(graphs)
                with clock(results, scipy_key):
                    reference = pdist(p, "jensenshannon")
            compare(results, ours_key, scipy_key, ours, reference)


def compare(results: dict, ours_key: str, scipy_key: str, ours, reference) -> None:
    """Largest difference to scipy's condensed matrix and the wall-time ratio."""
    rows, cols = np.triu_indices(len(ours), k=1)
    ratio = results[scipy_key]["wall_s"] / results[ours_key]["wall_s"]
    results[f"{ours_key} vs scipy"] = entry = {
        "max_abs_diff": float(np.abs(ours[rows, cols] - reference).max()),
        "scipy_over_ours_wall": round(ratio, 2),
    }
    print(f"{ours_key:<60} vs scipy: {entry}")


def edge_section(space: NB201Space, results: dict, with_scipy: bool) -> None:
    graphs = space.graphs()
    with clock(results, "nb201 transformation_edge (default costs)"):
        EdgeSubstitutionDistance(cache=False, progress=False).pairwise(graphs)
    uniform = EdgeSubstitutionDistance(pair_costs=None, cache=False, progress=False)
    with clock(results, "nb201 transformation_edge [uniform costs]"):
        ours = uniform.pairwise(graphs)
    if with_scipy:
        key = "nb201 transformation_edge [uniform costs]"
        with clock(results, f"{key} scipy pdist"):  # hamming * 6
            reference = pdist(space.codes, "hamming") * space.codes.shape[1]
        compare(results, key, f"{key} scipy pdist", ours, reference)


def error_figures(graphs, n_pairs: int, seed: int, label: str, results: dict) -> None:
    """Bipartite approximation (default and plain Riesen-Bunke) against the exact distance."""
    distance = GraphEditDistance()
    costs = distance.costs(graphs.vocab)
    rng = np.random.default_rng(seed)
    pairs = np.array([rng.choice(len(graphs), 2, replace=False) for _ in range(n_pairs)])
    with clock(results, f"{label} exact GED, {n_pairs} pairs"):
        exact = np.array([exact_ged(graphs[i], graphs[j], costs) for i, j in pairs])
    variants = {
        "bipartite (default)": {},
        "plain Riesen-Bunke": {"topology_weight": 0, "refine": 0},
    }
    first, second = pairs.T
    for name, params in variants.items():
        approx = bipartite_ged(graphs.ops, graphs.adjacency, first, second, costs, **params)
        error = approx - exact
        results[f"{label} {name} error"] = {
            "pairs": n_pairs,
            "mean": round(float(error.mean()), 3),
            "max": float(error.max()),
            "mean_relative": round(float((error / np.maximum(exact, 1)).mean()), 3),
            "exact_share": round(float((error < 1e-9).mean()), 3),
            "spearman": round(float(spearmanr(approx, exact)[0]), 3),
            "below_exact": int((error < -1e-9).sum()),
        }
        print(f"{label} {name} error: {results[f'{label} {name} error']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="write the figures as JSON here")
    parser.add_argument("--no-scipy", action="store_true", help="skip the scipy comparisons")
    parser.add_argument("--quick", action="store_true", help="1,000 NB201 classes, 100 pairs")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes for the GED")
    parser.add_argument(
        "--sections", nargs="+", choices=SECTIONS, default=list(SECTIONS), help="what to run"
    )
    args = parser.parse_args()
    results: dict = {}
    n_pairs = 100 if args.quick else 300

    nb201 = NB201Space()
    if "nb201-probabilistic" in args.sections:
        probabilistic_section(nb201.graphs(), "nb201", results, with_scipy=not args.no_scipy)
    if "nb201-edge" in args.sections:
        edge_section(nb201, results, with_scipy=not args.no_scipy)
    if "nb201-ged" in args.sections:
        classes = nb201.isomorphism_classes()
        representatives = classes[~classes.duplicated()].index.tolist()
        if args.quick:
            representatives = representatives[:1000]
        class_graphs = nb201.graphs(representatives)
        ged = GraphEditDistance(n_jobs=args.jobs, cache=False, progress=True)
        with clock(results, f"nb201 transformation (bipartite) {len(representatives)} classes"):
            ged.pairwise(class_graphs)
        error_figures(class_graphs, n_pairs, 0, "nb201", results)
    if "nb101" in args.sections:
        nb101 = NB101Space.from_jsonl(reference_file("nb101_1k.jsonl"))
        graphs101 = nb101.graphs()
        probabilistic_section(graphs101, "nb101", results, with_scipy=False)
        with clock(results, f"nb101 transformation (bipartite) {len(graphs101)} cells"):
            GraphEditDistance(n_jobs=args.jobs, cache=False, progress=False).pairwise(graphs101)
        error_figures(graphs101, n_pairs, 0, "nb101", results)

    results["peak_rss_gb"] = {
        "self": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2),
        "largest_worker": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20, 2),
    }
    print("peak resident memory (GiB):", results["peak_rss_gb"])
    if args.out:
        with open(args.out, "w") as handle:
            json.dump(results, handle, indent=1)


if __name__ == "__main__":
    main()
