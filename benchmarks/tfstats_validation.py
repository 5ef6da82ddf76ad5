"""Validate cbred's training-free statistics against NAS-Bench-Suite-Zero and accuracy.

1. Fidelity: on a random sample of NB201 cells (default 500) of
   ``nb201_zc_proxies_cifar10.csv``, compute the statistics with the full-size network
   (``configs/tfstats_runner/full.yaml``: C=16, N=5, a CIFAR-10 batch of 64, as the reference
   did) and report the Spearman correlation of each with the reference value
   (nwot ~ naswot_v2, jacov ~ naswot_v1, synflow, snip, grad_norm, params, flops).
2. Predictive power: Kendall tau of each statistic with CIFAR-10 test accuracy
   (``nb201_cifar10.csv``) on that sample, next to the reference proxies' tau on the same
   cells, and on the embedded table (all 15,625 cells, the proxy configuration), next to
   published anchors (NASWOT 0.574; TE-NAS NTK about -0.42, linear regions about 0.50).

Run: ``python benchmarks/tfstats_validation.py [--cells 500] [--processes 1]``. The
statistics go through the runner's cache, so an interrupted run resumes.
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate
from scipy.stats import kendalltau, spearmanr

from cbred.data.benchmark import load_benchmark
from cbred.data.nb201 import NB201Space
from cbred.paths import PROJECT_ROOT, reference_file
from cbred.tfstats import load_table
from cbred.tfstats.runner import compute_table

#: Our statistic -> NAS-Bench-Suite-Zero column.
REFERENCE = {
    "naswot_v2": "nwot",
    "naswot_v1": "jacov",
    "synflow": "synflow",
    "snip": "snip",
    "grad_norm": "grad_norm",
    "params": "params",
    "flops": "flops",
}
ANCHORS = {"naswot_v2": 0.574, "ntk_cond": -0.42, "linear_regions": 0.50}


def _corr(fn, x: pd.Series, y: pd.Series) -> tuple[float, int]:
    ok = x.notna() & y.notna()
    return float(fn(x[ok], y[ok])[0]), int(ok.sum())


def _report_fidelity(table: pd.DataFrame, sample: pd.DataFrame, acc: pd.Series) -> None:
    print(f"\nFull-size network (C=16, N=5, CIFAR-10 batch 64), {len(sample)} random cells", flush=True)
    print(f"{'statistic':<12} {'reference':<10} {'Spearman':>8} {'tau ours':>9} {'tau ref':>8}  n")
    for ours, theirs in REFERENCE.items():
        rho, n = _corr(spearmanr, table[ours], sample[theirs])
        tau, _ = _corr(kendalltau, table[ours], acc)
        tau_ref, _ = _corr(kendalltau, sample[theirs], acc)
        print(f"{ours:<12} {theirs:<10} {rho:>8.3f} {tau:>9.3f} {tau_ref:>8.3f}  {n}", flush=True)
    seconds = table.attrs["tfstats"]["statistics"]
    print("mean seconds per evaluation:", {k: round(v["mean_seconds"], 3) for k, v in seconds.items()})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cells", type=int, default=500)
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--step", type=int, default=100, help="report every this many cells")
    args = parser.parse_args()

    space = NB201Space()
    reference = load_benchmark(
        reference_file("nb201_zc_proxies_cifar10.csv"), space, missing_values=[-1e8]
    )
    accuracy = load_benchmark(reference_file("nb201_cifar10.csv"), space, columns=["test_acc"])[
        "test_acc"
    ]
    sample = reference.sample(args.cells, random_state=args.seed)

    with initialize_config_dir(str(PROJECT_ROOT / "configs" / "tfstats_runner"), version_base="1.3"):
        cfg = compose("full")
    # in growing steps, so that an interrupted run has reported what it had (the cache resumes)
    for size in sorted({*range(args.step, args.cells, args.step), args.cells}):
        cells = sample.iloc[:size]
        table = compute_table(
            space,
            list(REFERENCE),
            probe=instantiate(cfg.probe),
            archs=list(cells.index),
            repeats=int(cfg.repeats),
            seed=int(cfg.seed),
            processes=args.processes,
            strategy="ddp_spawn" if args.processes > 1 else "auto",
            progress=False,
        )
        _report_fidelity(table, cells, accuracy.reindex(cells.index))

    try:
        embedded = load_table()
    except FileNotFoundError:
        print("no embedded table yet")
        return
    acc = accuracy.reindex(embedded.index)
    print(f"\nEmbedded table ({len(embedded):,} cells, proxy configuration): Kendall tau with test_acc")
    for name in embedded.attrs["tfstats"]["statistics"]:
        tau, n = _corr(kendalltau, embedded[name], acc)
        anchor = ANCHORS.get(name)
        failed = int(embedded[f"{name}_error"].notna().sum())
        print(
            f"{name:<15} tau {tau:>7.3f}  n {n:>6}  failed {failed:>4}"
            + (f"  (published anchor {anchor:+.2f})" if anchor is not None else "")
        )


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
