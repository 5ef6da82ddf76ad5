"""Validate cbred's training-free statistics and their aggregates.

1. **Table** (``--table``, default the embedded NB201 table): for every statistic it
   holds and for every aggregate (:mod:`cbred.tfstats.aggregation`) of fixed sets of
   them, Kendall tau and Spearman with NB201 CIFAR-10 test accuracy over all scorable
   cells, the number of cells, the signal-to-noise ratio where the table has repeats
   (:func:`cbred.tfstats.noise.signal_to_noise`) and the mean seconds per evaluation
   recorded in its metadata, and what Quantiled at 1 % would hold under each (its mean
   accuracy ``q1_mean`` and top-1 % recall ``q1_recall``: tau weighs every pair of cells
   alike, the reduction only the best). Aggregates are over each cell's statistics' signed
   percentile ranks within the space; the statistic sets are fixed below, never chosen
   by accuracy (accuracy only scores them).
2. **Fidelity** (``--cells N``, 0 to skip): on N random cells of NAS-Bench-Suite-Zero's
   ``nb201_zc_proxies_cifar10.csv``, the statistics computed with the full-size network
   (``configs/tfstats_runner/full.yaml``: C=16, N=5, a CIFAR-10 batch of 64 at 32x32, as
   the reference did), their Spearman with the reference values (:data:`REFERENCE`) and
   Kendall tau with accuracy next to the reference's, plus seconds per cell.

With ``--space nb101`` the same two reports cover NAS-Bench-101: the table (default the
embedded ``nb101_tfstats.parquet``) against ``val_acc_108`` of ``nb101_20k.csv`` on the
cells both cover, and the fidelity sample drawn from ``nb101_zc_proxies_500.jsonl``
(the table's own proxy set-up, ``configs/tfstats_runner/nb101.yaml``, against the
reference's full-size values: the agreement the embedded table can claim).

Printed as tables; ``--plot`` writes a bar chart of tau per statistic and aggregate.

Run: ``python benchmarks/tfstats_validation.py [--space nb101] [--table PATH] [--cells 100] [--plot PATH]``.
The statistics go through the runner's cache (``--cache``, default ``$CBRED_CACHE``),
so an interrupted run resumes.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import kendalltau, spearmanr

from cbred.evaluation import top_set
from cbred.pipeline import quantiled
from cbred.selection.budget import budget_cells
from cbred.tables import load_benchmark
from cbred.spaces.nb201 import NB201Space
from cbred.paths import PROJECT_ROOT, reference_file
from cbred.selection.ranks import signed_ranks
from cbred.tfstats import STATISTICS, load_table
from cbred.tfstats import aggregation as agg
from cbred.tfstats.noise import signal_to_noise

#: Our statistic -> NAS-Bench-Suite-Zero column (``jacov`` is NASWOT v1's Jacobian score).
REFERENCE = {
    "naswot_v2": "nwot",
    "naswot_v1": "jacov",
    "synflow": "synflow",
    "snip": "snip",
    "grad_norm": "grad_norm",
    "fisher": "fisher",
    "grasp": "grasp",
    "plain": "plain",
    "l2_norm": "l2_norm",
    "epe_nas": "epe_nas",
    "zen": "zen",
    "params": "params",
    "flops": "flops",
}
#: Statistics without a NAS-Bench-Suite-Zero column, computed on the sample for their tau.
UNREFERENCED = ["zico", "meco", "swap", "az_expressivity", "az_progressivity", "az_trainability"]
#: Published Kendall tau / Spearman with NB201 CIFAR-10 accuracy (all cells).
ANCHORS = {
    "naswot_v2": "NASWOT tau 0.574",
    "ntk_cond": "TE-NAS tau about -0.42",
    "linear_regions": "TE-NAS tau about 0.50",
    "synflow": "Spearman 0.74 (zero-cost-nas)",
    "naswot_v1": "jacov Spearman 0.73",
    "meco": "Spearman 0.89 (MeCo)",
    "swap": "Spearman 0.90 on CIFAR-100 (SWAP)",
    "az_nas": "tau 0.741 / Spearman 0.913 (AZ-NAS)",
}
#: Fixed statistic sets aggregated (those whose statistics are all in the table), plus
#: ``every_statistic``: all the table's registered statistics.
SETS = {
    "seed": ["ntk_cond", "linear_regions", "naswot_v1", "naswot_v2"],
    "seed+params": ["ntk_cond", "linear_regions", "naswot_v1", "naswot_v2", "params"],
    "seed+flops": ["ntk_cond", "linear_regions", "naswot_v1", "naswot_v2", "flops"],
    "seed+synflow+params": ["ntk_cond", "linear_regions", "naswot_v1", "naswot_v2", "synflow", "params"],
    "naswot_v2+synflow+params": ["naswot_v2", "synflow", "params"],
    "all_seed_columns": ["ntk_cond", "linear_regions", "naswot_v1", "naswot_v2", "synflow", "snip", "grad_norm", "params", "flops"],
    "az_nas": ["az_expressivity", "az_progressivity", "az_trainability", "flops"],
    "az_nas+meco+swap+zico": ["az_expressivity", "az_progressivity", "az_trainability", "flops", "meco", "swap", "zico"],
    "seed+az_nas": ["ntk_cond", "linear_regions", "naswot_v1", "naswot_v2", "az_expressivity", "az_progressivity", "az_trainability", "flops"],
    "seed+az_nas+meco": ["ntk_cond", "linear_regions", "naswot_v1", "naswot_v2", "az_expressivity", "az_progressivity", "az_trainability", "flops", "meco"],
    "az_nas+meco": ["az_expressivity", "az_progressivity", "az_trainability", "flops", "meco"],
    # chosen without accuracy: the statistics whose proxy ranking agrees with the full-size
    # network's (Spearman >= 0.9 in the fidelity report, cbred/resources/nb201_tfstats.md)
    "faithful": ["naswot_v2", "synflow", "l2_norm", "zico", "meco", "swap", "flops"],
    # the seed's statistics that apply to NB101 networks (experiment=nb101)
    "seed_nb101": ["ntk_cond", "naswot_v1", "naswot_v2"],
    "seed_nb101+params": ["ntk_cond", "naswot_v1", "naswot_v2", "params"],
    "seed_nb101+synflow+params": ["ntk_cond", "naswot_v1", "naswot_v2", "synflow", "params"],
}
AGGREGATORS = {"mean": agg.mean_rank, "median": agg.median_rank, "log": agg.log_rank}
_DIRECTIONS = {"proxy_params": 1, "proxy_flops": 1}


def _direction(name: str) -> int:
    return _DIRECTIONS[name] if name in _DIRECTIONS else (1 if STATISTICS[name].higher_is_better else -1)


def _corr(x: pd.Series, y: pd.Series) -> tuple[float, float, int]:
    ok = x.notna() & y.notna() & np.isfinite(x.astype(float))
    if ok.sum() < 3:
        return np.nan, np.nan, int(ok.sum())
    return float(kendalltau(x[ok], y[ok])[0]), float(spearmanr(x[ok], y[ok])[0]), int(ok.sum())


def _top_end(score: pd.Series, accuracy: pd.Series, share: float = 0.01) -> dict:
    """What Quantiled at ``share`` would hold under ``score``: mean accuracy, top-``share`` recall.

    Kendall tau weighs every pair of cells alike; a reduction keeps only the best cells, so
    a score is also judged by its own best ``share`` of the cells that have it, picked and
    counted as the reduction's evaluation does.
    """
    ok = score.notna() & accuracy.notna()
    picked = quantiled(score[ok], budget_cells(share, int(ok.sum())))
    top = top_set(accuracy[ok], share)
    return {"q1_mean": float(accuracy[picked].mean()), "q1_recall": float(picked.isin(top).sum() / len(top))}


def table_report(table: pd.DataFrame, accuracy: pd.Series) -> pd.DataFrame:
    """One row per statistic and per (set, aggregator): tau, Spearman, n, SNR, seconds, and
    the accuracy and top-1 % recall of its best 1 % (:func:`_top_end`)."""
    meta = table.attrs.get("tfstats", {}).get("statistics", {})
    names = [n for n in meta if n in table.columns] or [
        c for c in table.columns if f"{c}_error" in table.columns
    ]
    acc = accuracy.reindex(table.index)
    stds = [n for n in names if f"{n}_std" in table.columns and table[f"{n}_std"].notna().any()]
    snr = signal_to_noise(table, stds) if stds else pd.Series(dtype=float)
    numeric = table[names].astype(float)
    values = numeric.mask(np.isinf(numeric))
    rows = []
    for name in names:
        tau, rho, n = _corr(table[name], acc)
        rows.append(
            {
                "what": name,
                "kind": "statistic",
                "tau": tau,
                "spearman": rho,
                "n": n,
                **_top_end(values[name] * _direction(name), acc),
                "snr": snr.get(name, np.nan),
                "repeats": meta.get(name, {}).get("repeats"),
                "seconds": meta.get(name, {}).get("mean_seconds"),
            }
        )
    ranks = signed_ranks(values, {n: _direction(n) for n in names})
    deterministic = {n for n in names if n in _DIRECTIONS or (n in STATISTICS and not STATISTICS[n].stochastic)}
    every = [n for n in names if n in STATISTICS]  # the table's own statistics (not proxy_*)
    for set_name, members in {**SETS, "every_statistic": every}.items():
        if not set(members) <= set(names):
            continue
        aggregators = dict(AGGREGATORS)
        weights = {n: np.inf if n in deterministic else snr.get(n, np.nan) for n in members}
        if all(np.isfinite(w) or w == np.inf for w in weights.values()):  # every member's noise measured
            aggregators["noise"] = lambda r, w=weights: agg.noise_weighted_rank(r, w)
        complete = values[members].notna().all(axis=1)  # as the reduction: only these are scored
        for agg_name, fn in aggregators.items():
            score = fn(ranks[members])
            tau, rho, n = _corr(score, acc)
            rows.append({"what": f"{set_name} [{agg_name}]", "kind": "aggregate", "tau": tau, "spearman": rho, "n": n,
                         **_top_end(score.where(complete), acc)})
    return pd.DataFrame(rows)


def _runner_table(space, config: str, names, archs, cache, processes: int, overrides=()) -> pd.DataFrame:
    from hydra import compose, initialize_config_dir
    from hydra.utils import instantiate

    from cbred.tfstats.runner import compute_table

    with initialize_config_dir(str(PROJECT_ROOT / "configs" / "tfstats_runner"), version_base="1.3"):
        cfg = compose(config, overrides=list(overrides))
    return compute_table(
        space,
        names,
        probe=instantiate(cfg.probe),
        archs=archs,
        repeats=1,
        seed=int(cfg.seed),
        processes=processes,
        strategy="ddp_spawn" if processes > 1 else "auto",
        cache=cache,
        progress=False,
    )


#: Proxy set-ups compared with the full-size network (Hydra overrides of ``proxy.yaml``).
PROXIES = {
    "C8 N1 16px b16": [],
    "C4 N1 16px b16": ["probe.network.C=4"],
    "C8 N1 32px b16": ["probe.inputs.resolution=null"],
}


def fidelity_report(space, sample: pd.DataFrame, accuracy: pd.Series, cache, processes: int) -> pd.DataFrame:
    """Full-size statistics on ``sample``: Spearman with NAS-Bench-Suite-Zero, tau with accuracy.

    Also the Spearman between each proxy set-up of :data:`PROXIES` (one repeat) and the
    full-size network on the same cells: the proxy-size curve.
    """
    names = list(REFERENCE) + UNREFERENCED
    table = _runner_table(space, "full", names, list(sample.index), cache, processes)
    proxies = {
        label: _runner_table(space, "proxy", names, list(sample.index), cache, processes, overrides)
        for label, overrides in PROXIES.items()
    }
    seconds = table.attrs["tfstats"]["statistics"]
    rows = []
    for ours in names:
        rows.append(
            {
                **_fidelity_row(table, sample, accuracy, ours, seconds),
                **{f"rho[{label}]": _corr(proxy[ours], table[ours])[1] for label, proxy in proxies.items()},
                **{
                    f"s[{label}]": proxy.attrs["tfstats"]["statistics"][ours]["mean_seconds"]
                    for label, proxy in proxies.items()
                },
            }
        )
    return pd.DataFrame(rows)


def _fidelity_row(table: pd.DataFrame, sample: pd.DataFrame, accuracy: pd.Series, ours: str, seconds: dict) -> dict:
    """One statistic of ``table`` on ``sample``: Spearman with its reference column, tau with accuracy."""
    theirs = REFERENCE.get(ours)
    acc = accuracy.reindex(sample.index)
    tau, rho, n = _corr(table[ours], acc)
    return {
        "statistic": ours,
        "reference": theirs or "-",
        "spearman_vs_ref": _corr(table[ours], sample[theirs])[1] if theirs else np.nan,
        "tau_acc": tau,
        "spearman_acc": rho,
        "tau_acc_ref": _corr(sample[theirs], acc)[0] if theirs else np.nan,
        "n": n,
        "failed": int(table[f"{ours}_error"].notna().sum()) if f"{ours}_error" in table else 0,
        "seconds": seconds.get(ours, {}).get("mean_seconds", np.nan),
    }


def plot(report: pd.DataFrame, path: Path, accuracy_name: str = "NB201 CIFAR-10 test accuracy",
         anchor: bool = True) -> Path:
    """Bar chart of tau per statistic and aggregate; ``anchor``: AZ-NAS's NB201 figure dashed."""
    from matplotlib.figure import Figure

    data = report.dropna(subset=["tau"]).sort_values("tau")
    fig = Figure(figsize=(8, 0.22 * len(data) + 1.2))
    ax = fig.subplots()
    colours = ["tab:blue" if k == "statistic" else "tab:orange" for k in data["kind"]]
    ax.barh(data["what"], data["tau"], color=colours)
    if anchor:
        ax.axvline(0.741, color="grey", linestyle="--", linewidth=1)
    ax.set_xlabel(f"Kendall tau with {accuracy_name}")
    title = "blue: statistic, orange: aggregate" + ("; dashed: AZ-NAS's published 0.741" if anchor else "")
    ax.set_title(title, fontsize=9)
    ax.tick_params(axis="y", labelsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    return path


def nb101_fidelity_report(space, sample: pd.DataFrame, accuracy: pd.Series, cache, processes: int) -> pd.DataFrame:
    """The NB101 table's set-up on ``sample`` against NAS-Bench-Suite-Zero's full-size values.

    ``params``/``flops`` are the benchmark network's (as in the table), counted exactly.
    """
    from cbred.tfstats.network_cost import COST_COLUMNS, benchmark_costs

    names = [n for n in REFERENCE if REFERENCE[n] in sample.columns and n not in COST_COLUMNS]
    table = _runner_table(space, "nb101", names, list(sample.index), cache, processes)
    seconds = table.attrs["tfstats"]["statistics"]
    table = table.join(benchmark_costs(space, list(sample.index)))
    return pd.DataFrame([_fidelity_row(table, sample, accuracy, ours, seconds) for ours in names + list(COST_COLUMNS)])


def _nb201_inputs(table_path):
    space = NB201Space()
    accuracy = load_benchmark(reference_file("nb201_cifar10.csv"), space, columns=["test_acc"])["test_acc"]
    return space, accuracy, load_table(table_path)


def _nb101_inputs(table_path):
    from cbred.paths import RESOURCES
    from cbred.spaces.nb101 import NB101Space

    space = NB101Space.enumerated()
    accuracy = load_benchmark(reference_file("nb101_20k.csv"), space, columns=["val_acc_108"])["val_acc_108"]
    table = load_table(table_path or RESOURCES / "nb101_tfstats.parquet")
    return space, accuracy, table


@dataclass(frozen=True)
class Setup:
    """What the benchmark reads and runs for one space."""

    inputs: Callable          # table path -> (space, accuracy, table)
    accuracy_name: str
    reference: str            # NAS-Bench-Suite-Zero file of the fidelity sample
    fidelity: Callable        # (space, sample, accuracy, cache, processes) -> DataFrame
    fidelity_name: str
    reference_accuracy: str | None = None  # the reference file's own accuracy column, else the space's
    anchors: dict | None = None            # published figures, printed and drawn


SETUPS = {
    "nb201": Setup(_nb201_inputs, "CIFAR-10 test_acc", "nb201_zc_proxies_cifar10.csv", fidelity_report,
                   "Full-size network (C=16, N=5, CIFAR-10 batch 64)", anchors=ANCHORS),
    "nb101": Setup(_nb101_inputs, "val_acc_108 (nb101_20k.csv)", "nb101_zc_proxies_500.jsonl", nb101_fidelity_report,
                   "The NB101 table's proxy set-up (configs/tfstats_runner/nb101.yaml)",
                   reference_accuracy="val_accuracy"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--space", choices=list(SETUPS), default="nb201")
    parser.add_argument("--table", default=None, help="table of statistics (default: the space's embedded one)")
    parser.add_argument("--cells", type=int, default=0, help="fidelity sample of NAS-Bench-Suite-Zero cells (0: skip)")
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache", default=None, help="runner cache root (default $CBRED_CACHE/tfstats)")
    parser.add_argument("--plot", default=None, help="bar chart (default outputs/tfstats_validation_<space>.png)")
    args = parser.parse_args()
    pd.set_option("display.width", 200, "display.max_rows", 200)

    setup = SETUPS[args.space]
    space, accuracy, table = setup.inputs(args.table)
    report = table_report(table, accuracy)
    covered = int(accuracy.index.isin(table.index).sum())
    print(f"\nTable {args.table or 'embedded'} ({len(table):,} cells, {covered:,} with accuracy): "
          f"correlation with {setup.accuracy_name}")
    print(report.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    if setup.anchors:
        print("published anchors:", setup.anchors)
    plot_path = Path(args.plot or PROJECT_ROOT / "outputs" / f"tfstats_validation_{args.space}.png")
    print("plot:", plot(report, plot_path, setup.accuracy_name, anchor=bool(setup.anchors)))

    if args.cells:
        # NB101 specs come unpruned: isomorphic rows (same hash) are averaged
        reference = load_benchmark(reference_file(setup.reference), space, missing_values=[-1e8], duplicates="mean")
        sample = reference.sample(min(args.cells, len(reference)), random_state=args.seed)
        own = sample[setup.reference_accuracy] if setup.reference_accuracy else accuracy
        fidelity = setup.fidelity(space, sample, own, args.cache, args.processes)
        print(f"\n{setup.fidelity_name}, {len(sample)} random cells of NAS-Bench-Suite-Zero ({setup.reference})")
        print(fidelity.to_string(index=False, float_format=lambda v: f"{v:.3f}"))


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
