"""The grid on NAS-Bench-201: distance x clustering x selection x variant, evaluated on CIFAR-10.

Runs reduce.py's ``reduce_from_config`` in one process (distance matrices come from the
distance cache after the first configuration) and prints one row per configuration: the
procedure's chosen parameters, the selected sub-space's size, mean accuracy, best-of-10
and top-1 % recall next to Quantiled (the best TF-ranked cells, same size), then, for each
factor, the mean of every metric over the other factors and how much the factor moves it
(which factor matters).

    python benchmarks/reduce_grid.py                          # the whole grid of experiment=nb201_grid
    python benchmarks/reduce_grid.py --distances hellinger --clusterings kmeans
    python benchmarks/reduce_grid.py --out grid.csv -- constraints=params_500k

Equivalent to ``python reduce.py -m experiment=nb201_grid`` (one run directory per
configuration), without the process start-up per configuration.
"""

from __future__ import annotations

import argparse
import itertools
import time
import warnings
from pathlib import Path

import pandas as pd
from hydra import compose, initialize_config_dir

from cbred.api import load_inputs, reduce_from_config  # noqa: E402
from cbred.paths import register_config_resolvers  # noqa: E402

register_config_resolvers()  # ${reference_file:...} in the configs
CONFIGS = Path(__file__).resolve().parent.parent / "configs"
FACTORS = ("distance", "clustering", "selection", "variant", "constraints")
COLUMNS = {
    "params/n_clusters": "K",
    "params/n_neighbors": "k",
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
}


def grid(overrides: list[str]) -> dict[str, list[str]]:
    """The sweep of ``experiment=nb201_grid`` (configs/experiment/nb201_grid.yaml), by group."""
    cfg = compose("reduce", overrides=["experiment=nb201_grid", *overrides], return_hydra_config=True)
    return {group: str(choices).split(",") for group, choices in cfg.hydra.sweeper.params.items()}


def main(argv=None) -> pd.DataFrame:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for factor in FACTORS:
        parser.add_argument(f"--{factor}s" if factor != "constraints" else "--constraints", nargs="+",
                            dest=factor, help="default: the experiment's grid")
    parser.add_argument("--benchmark", default="nb201_cifar10", help="benchmark config (accuracy table)")
    parser.add_argument("--out", type=Path, default=None, help="CSV of all metrics")
    parser.add_argument("overrides", nargs="*", help="extra Hydra overrides for every run")
    args = parser.parse_args(argv)

    rows = []
    with initialize_config_dir(config_dir=str(CONFIGS), version_base="1.3"):
        common = [f"benchmark={args.benchmark}", "output_dir=unused", "logger=none", "plots.enabled=false",
                  *args.overrides]
        sweep = grid(common)
        levels = {factor: getattr(args, factor) or sweep.get(factor, [None]) for factor in FACTORS}
        # the space and the accuracy table are the same for every configuration: read once
        space, accuracy = load_inputs(compose("reduce", overrides=common))
        for values in itertools.product(*levels.values()):
            setting = {f: v for f, v in zip(FACTORS, values) if v is not None}
            cfg = compose("reduce", overrides=[*(f"{f}={v}" for f, v in setting.items()), *common])
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                metrics = reduce_from_config(cfg, space, accuracy).metrics()
            row = {**setting, **metrics, "seconds": time.perf_counter() - start}
            rows.append(row)
            print(_line(row), flush=True)
    table = pd.DataFrame(rows)
    if args.out is not None:
        table.to_csv(args.out, index=False)
    factors = [f for f in FACTORS if f in table]
    shown = table[[*factors, *[c for c in COLUMNS if c in table], "seconds"]]
    print(shown.rename(columns=COLUMNS).round(3).to_string(index=False))
    print(factor_effects(table, factors).round(3).to_string())
    return table


def factor_effects(table: pd.DataFrame, factors: list[str]) -> pd.DataFrame:
    """Per factor level: the mean metric over the other factors; per factor: the range of those means."""
    metrics = {"selected/acc_mean": "mean", "selected/best_of_10": "best10", "selected/top1pct_recall": "top1",
               "beats_q": "beats_Q (mean and best-of-10)"}
    table = table.copy().assign(beats_q=(table["selected/acc_mean"] > table["quantiled/acc_mean"])
                         & (table["selected/best_of_10"] > table["quantiled/best_of_10"]))
    frames = []
    for factor in factors:
        if table[factor].nunique() < 2:
            continue
        means = table.groupby(factor)[list(metrics)].mean()
        means.index = [f"{factor}={level}" for level in means.index]
        spread = (means.max() - means.min()).to_frame(f"{factor}: range").T
        frames += [means, spread]
    return pd.concat(frames).rename(columns=metrics) if frames else pd.DataFrame()


def _line(row: dict) -> str:
    setting = " ".join(str(row[f]) for f in FACTORS if f in row)
    params = ", ".join(f"{k.split('/')[1]}={row[k]}" for k in row if k.startswith("params/"))
    return (
        f"{setting}: {params}, size {row['selected_size']}, mean {row['selected/acc_mean']:.2f} "
        f"(Q {row['quantiled/acc_mean']:.2f}), best-of-10 {row['selected/best_of_10']:.2f} "
        f"(Q {row['quantiled/best_of_10']:.2f}), top-1% {row['selected/top1pct_recall']:.3f} "
        f"(Q {row['quantiled/top1pct_recall']:.3f}), {row['seconds']:.0f} s"
    )


if __name__ == "__main__":
    main()
