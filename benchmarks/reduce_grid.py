"""The seed's grid on NAS-Bench-201: every distance x clusterer x selection, evaluated on CIFAR-10.

Runs reduce.py's ``reduce_from_config`` in one process (distance matrices come from the
distance cache after the first configuration) and prints one row per configuration: the
chosen K / eta and their stability, the selected sub-space's size, mean accuracy and
best-of-10 next to the full space, Quantiled (TF filtering of the same size) and Random.

    python benchmarks/reduce_grid.py                          # the whole grid
    python benchmarks/reduce_grid.py --distances hellinger --clusterings kmeans
    python benchmarks/reduce_grid.py --out grid.csv -- +constraints.params.max=1.0

Equivalent to ``python reduce.py -m experiment=nb201_grid`` (one run directory per
configuration), without the process start-up per configuration.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd
from hydra import compose, initialize_config_dir

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from reduce import load_inputs, reduce_from_config  # noqa: E402  (the entry point's composition)

CONFIGS = Path(__file__).resolve().parent.parent / "configs"
COLUMNS = {
    "params/n_clusters": "K",
    "params/eta": "eta",
    "stability": "stability",
    "selected_size": "size",
    "selected/acc_mean": "sel_mean",
    "selected/best_of_10": "sel_best10",
    "quantiled/acc_mean": "q_mean",
    "quantiled/best_of_10": "q_best10",
    "random/acc_mean": "rand_mean",
    "random/best_of_10": "rand_best10",
    "full/acc_mean": "full_mean",
    "full/best_of_10": "full_best10",
    "selected/top1pct_recall": "sel_top1_recall",
    "quantiled/top1pct_recall": "q_top1_recall",
    "cluster_rank_tau": "tau",
}


def grid(overrides: list[str]) -> dict[str, list[str]]:
    """The sweep of ``experiment=nb201_grid`` (configs/experiment/nb201_grid.yaml), by group."""
    cfg = compose("reduce", overrides=["experiment=nb201_grid", *overrides], return_hydra_config=True)
    return {group: str(choices).split(",") for group, choices in cfg.hydra.sweeper.params.items()}


def main(argv=None) -> pd.DataFrame:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--distances", nargs="+", help="default: the experiment's grid")
    parser.add_argument("--clusterings", nargs="+", help="default: the experiment's grid")
    parser.add_argument("--selections", nargs="+", help="default: the experiment's grid")
    parser.add_argument("--benchmark", default="nb201_cifar10", help="benchmark config (accuracy table)")
    parser.add_argument("--out", type=Path, default=None, help="CSV of all metrics")
    parser.add_argument("overrides", nargs="*", help="extra Hydra overrides for every run")
    args = parser.parse_args(argv)

    rows = []
    with initialize_config_dir(config_dir=str(CONFIGS), version_base="1.3"):
        common = [f"benchmark={args.benchmark}", "output_dir=unused", *args.overrides]
        sweep = grid(common)
        # the space and the accuracy table are the same for every configuration: read once
        space, accuracy = load_inputs(compose("reduce", overrides=common))
        for distance in args.distances or sweep["distance"]:
            for clustering in args.clusterings or sweep["clustering"]:
                for selection in args.selections or sweep["selection"]:
                    cfg = compose("reduce", overrides=[
                        f"distance={distance}", f"clustering={clustering}", f"selection={selection}", *common,
                    ])
                    start = time.perf_counter()
                    metrics = reduce_from_config(cfg, space, accuracy).metrics()
                    row = {"distance": distance, "clustering": clustering, "selection": selection,
                           **metrics, "seconds": time.perf_counter() - start}
                    rows.append(row)
                    print(_line(row), flush=True)
    table = pd.DataFrame(rows)
    if args.out is not None:
        table.to_csv(args.out, index=False)
    shown = table[["distance", "clustering", "selection", *[c for c in COLUMNS if c in table], "seconds"]]
    print(shown.rename(columns=COLUMNS).round(3).to_string(index=False))
    return table


def _line(row: dict) -> str:
    return (
        f"{row['distance']:>14} {row['clustering']:>8} {row['selection']:>15}: K={row['params/n_clusters']} "
        f"stability {row['stability']:.3f}, size {row['selected_size']}, mean {row['selected/acc_mean']:.2f} "
        f"(Q {row['quantiled/acc_mean']:.2f}, full {row['full/acc_mean']:.2f}), best-of-10 "
        f"{row['selected/best_of_10']:.2f} (Q {row['quantiled/best_of_10']:.2f}, full "
        f"{row['full/best_of_10']:.2f}), {row['seconds']:.0f} s"
    )


if __name__ == "__main__":
    main()
