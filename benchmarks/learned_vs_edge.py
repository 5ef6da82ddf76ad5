"""Where the learned neighbourhoods and the per-edge ones part (issue 24): NB201 CIFAR-10.

The neighbourhood selection under ``distance=transformation_edge`` and under
``distance=learned`` (one or more encoders) are cut at every budget; for each encoder
against the per-edge distance: the neighbourhood size k and the leave-one-out error the
selection chose it by (no accuracy), the overlap of the two selected sets (Jaccard), and
the CIFAR-10 test accuracy of the cells both select and of the cells only one selects.
Accuracy is read to evaluate, never to select.

    python benchmarks/learned_vs_edge.py --checkpoints outputs/enc/contrastive/checkpoints/best.ckpt \\
        --out benchmarks/results/learned_vs_edge
    python benchmarks/learned_vs_edge.py --checkpoints ... --overrides selection.base.n_neighbors=20 --out ...
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import pandas as pd
from hydra import compose, initialize_config_dir

from cbred.api import load_inputs, reduce_from_config

HERE = Path(__file__).resolve().parent
CONFIGS = HERE.parent / "configs"

# (importing selection_quality registers the config resolvers)
from selection_quality import BUDGETS  # noqa: E402
from cbred.selection import budget_cells, fill_budget  # noqa: E402

COMMON = ["benchmark=nb201_cifar10", "selection=neighbourhood", "logger=none", "plots.enabled=false",
          "output_dir=unused", "seed=0"]


def reduction_of(overrides, space):
    cfg = compose("reduce", overrides=[*COMMON, *overrides])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return reduce_from_config(cfg, space)


def criterion_at_k(reduction) -> tuple[int, float]:
    """The chosen k and its leave-one-out error (NaN for a fixed k: no criterion was computed)."""
    k = reduction.best_params["n_neighbors"]
    table = reduction.stability
    if "n_neighbors" not in table:
        return k, float("nan")
    return k, float(table.set_index("n_neighbors")["loo_mse"].loc[k])


def compare(edge, learned, accuracy: pd.Series, budgets, name: str) -> list[dict]:
    rows = []
    k_edge, mse_edge = criterion_at_k(edge)
    k_learned, mse_learned = criterion_at_k(learned)
    for budget in budgets:
        n = budget_cells(budget, len(edge.archs))
        a = set(fill_budget(edge.order, edge.units, n))
        b = set(fill_budget(learned.order, learned.units, n))
        both, only_edge, only_learned = a & b, a - b, b - a

        def mean(cells):
            return float(accuracy.reindex(sorted(cells)).mean()) if cells else float("nan")

        rows.append({
            "encoder": name, "budget %": budget * 100, "cells": n,
            "k edge / learned": f"{k_edge} / {k_learned}",
            "LOO MSE edge / learned": f"{mse_edge:.4f} / {mse_learned:.4f}",
            "Jaccard": len(both) / len(a | b), "both": len(both), "acc both": mean(both),
            "only edge": len(only_edge), "acc only edge": mean(only_edge),
            "only learned": len(only_learned), "acc only learned": mean(only_learned),
        })
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoints", nargs="+", type=Path, required=True, help="encoders (train.py checkpoints)")
    parser.add_argument("--budgets", nargs="+", type=float, default=list(BUDGETS))
    parser.add_argument("--overrides", nargs="*", default=[],
                        help="reduce.py overrides of the learned runs, e.g. selection.base.n_neighbors=20")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    rows = []
    with initialize_config_dir(config_dir=str(CONFIGS), version_base="1.3"):
        space, accuracy = load_inputs(compose("reduce", overrides=COMMON))
        edge = reduction_of(["distance=transformation_edge"], space)
        for checkpoint in args.checkpoints:
            learned = reduction_of(["distance=learned", f"distance.checkpoint={checkpoint.resolve()}",
                                    *args.overrides], space)
            name = " ".join([checkpoint.parent.parent.name, *args.overrides])
            rows += compare(edge, learned, accuracy, args.budgets, name)
    table = pd.DataFrame(rows)
    cells = table.map(lambda v: f"{v:.3f}" if isinstance(v, float) else str(v))
    lines = ["| " + " | ".join(table.columns) + " |", "|" + "---|" * len(table.columns)]
    text = "\n".join(lines + ["| " + " | ".join(row) + " |" for row in cells.itertuples(index=False)]) + "\n"
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "overlap.md").write_text(text)
    table.to_csv(args.out / "overlap.csv", index=False)
    print(text)


if __name__ == "__main__":
    main()
