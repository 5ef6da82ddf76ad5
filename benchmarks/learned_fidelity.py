"""Fidelity of the learned distance on held-out architectures, beside the handcrafted distances.

For a checkpoint written by ``train.py`` (default: the packaged NB201 encoder), rebuild the
held-out test split of its training run (same seed and holdout fractions: architectures
never seen in training), draw queries and a pool from it, compute the exact graph edit
distance of every query-pool pair (cached, resumable), and report for every distance the
Spearman correlation with the edit distance over all pairs and the recall of the 10
nearest neighbours (:func:`cbred.learned.metric_learner.fidelity`).

    python benchmarks/learned_fidelity.py [--checkpoint PATH] [--queries 60 --pool 300] [--out fidelity.csv]
    python benchmarks/learned_fidelity.py --checkpoint <joint run>/checkpoints/best.ckpt --space nb101

``--out FILE`` writes the table as CSV (index ``distance``, as ``train.py``'s ``fidelity.csv``),
for ``selection_quality.py --fidelity FILE``.

References: the probabilistic distances on operation histograms (the pipeline's
defaults) and on WL subtree features, and the bipartite approximation of the edit distance
(the pipeline's ``distance=transformation``); on NB201 also the per-edge distance of cell
strings (``distance=transformation_edge``), which the neighbourhood selection uses there.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from cbred.cache import atomic_write
from cbred.spaces.nb101 import NB101Space
from cbred.spaces.nb201 import NB201Space
from cbred.learned.datamodule import GraphPairDataModule
from cbred.distances import GraphEditDistance, Hellinger, JensenShannon, SymmetricKL
from cbred.distances.edge_substitution import EdgeSubstitutionDistance
from cbred.learned.distance import DEFAULT_CHECKPOINT, LearnedDistance, load_encoder
from cbred.learned.metric_learner import fidelity_table

SPACES = {"nb201": NB201Space, "nb101": NB101Space.enumerated}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", default=str(DEFAULT_CHECKPOINT))
    parser.add_argument("--queries", type=int, default=60)
    parser.add_argument("--pool", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0, help="seed of the training run (its split)")
    parser.add_argument("--val", type=float, default=0.05, help="holdout fractions of the training run")
    parser.add_argument("--test", type=float, default=0.05)
    parser.add_argument("--n-jobs", type=int, default=-1)
    parser.add_argument("--out", type=Path, default=None, metavar="FILE", help="also write the table as CSV")
    parser.add_argument("--space", choices=sorted(SPACES), default=None,
                        help="the held-out space (default: the checkpoint's; required for a joint encoder)")
    args = parser.parse_args(argv)

    model = load_encoder(args.checkpoint)
    name = args.space or model.space
    if name not in SPACES:
        parser.error(f"checkpoint trained on {model.space!r}: pass --space ({', '.join(sorted(SPACES))})")
    space = SPACES[name]()
    datamodule = GraphPairDataModule(
        space, GraphEditDistance(method="exact", cache=False), model.featurizer,
        holdout={"val": args.val, "test": args.test}, n_jobs=args.n_jobs, seed=args.seed,
    )
    clock = time.perf_counter()
    held_out = datamodule.fidelity_set("test", (args.queries, args.pool))
    print(f"{space.name}: {len(held_out.queries)} queries x {len(held_out.pool)} pool of held-out "
          f"architectures, exact edit distances in {time.perf_counter() - clock:.0f} s")

    histogram, wl = {}, {"feature": "wl_subtree", "feature_params": {"depth": 2}}
    distances = {
        "learned": LearnedDistance(checkpoint=args.checkpoint, cache=False),
        "hellinger": Hellinger(**histogram, cache=False),
        "jensen_shannon": JensenShannon(**histogram, cache=False),
        "sym_kl": SymmetricKL(**histogram, cache=False),
        "hellinger (wl_subtree)": Hellinger(**wl, cache=False),
        "jensen_shannon (wl_subtree)": JensenShannon(**wl, cache=False),
        "transformation (bipartite)": GraphEditDistance(method="bipartite", cache=False, n_jobs=1),
    }
    if name == "nb201":  # the per-edge distance of cell strings (NB201's handcrafted default)
        distances["transformation_edge"] = EdgeSubstitutionDistance(cache=False)
    table = fidelity_table(distances, held_out, k=10)
    with pd.option_context("display.width", 120):
        print(table.round(3))
    if args.out is not None:
        print("table:", atomic_write(args.out, lambda tmp: table.to_csv(tmp)))


if __name__ == "__main__":
    main()
