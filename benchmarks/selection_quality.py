"""Quality against budget: every selection procedure next to Quantiled, random and the full space.

For budgets of 0.5 %, 1 %, 2 %, 5 % and 10 % of NAS-Bench-201 and every procedure below,
the selected sub-space's mean accuracy, its exact expected best-of-10 and best-of-100
(random search inside it) and its recall of the space's top-1 % cells, next to Quantiled
(the best cells by aggregate TF rank, same size), a random subset (same size) and the full
space; over several seeds (the clusterings' and stability selection's randomness, and the
random baseline), with the spread. Nothing but the evaluation reads accuracy.

    python benchmarks/selection_quality.py                          # every procedure, seeds 0 1 2
    python benchmarks/selection_quality.py --procedures neighbourhood/edge --seeds 0
    python benchmarks/selection_quality.py --out results/quality    # table, CSV and figures
    python benchmarks/selection_quality.py --table results/quality/quality.csv --out results/quality  # re-plot
    python benchmarks/selection_quality.py --procedures neighbourhood/edge -- tfstats=seed_synflow_params
    python benchmarks/selection_quality.py --table benchmarks/results/selection_quality/quality.csv \
        --out benchmarks/results/selection_quality --headline neighbourhood/edge   # + the README's figure

Procedures whose order of the units does not depend on the budget are fitted once per seed
and cut at every budget (``Reduction.order``); C+Q compositions are rerun per budget.
Prints the table (mean over seeds, with the standard deviation), writes ``quality.csv``
(every seed), ``quality.md`` and one figure per metric (quality against budget, one line
per procedure, Quantiled dashed); ``--headline NAME`` adds ``headline.png``: that one procedure
against Quantiled, random and the full space, one panel per metric.
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from hydra import compose, initialize_config_dir

from cbred.api import load_inputs, reduce_from_config  # noqa: E402
from cbred.paths import register_config_resolvers  # noqa: E402

from cbred.evaluation import evaluate  # noqa: E402
from cbred.pipeline import quantiled  # noqa: E402
from cbred.selection import budget_cells, fill_budget  # noqa: E402

register_config_resolvers()  # ${reference_file:...} in the configs
CONFIGS = Path(__file__).resolve().parent.parent / "configs"
BUDGETS = (0.005, 0.01, 0.02, 0.05, 0.1)
EDGE = ["distance=transformation_edge"]
#: name -> Hydra overrides of reduce.py
PROCEDURES = {
    "neighbourhood/edge": ["selection=neighbourhood", *EDGE],
    "neighbourhood/edge Q+C": ["selection=neighbourhood", "variant=qc", *EDGE],
    "neighbourhood/edge C+Q": ["selection=neighbourhood", "variant=cq", *EDGE],
    "neighbourhood/hellinger": ["selection=neighbourhood", "distance=hellinger"],
    "neighbourhood/hellinger-wl": ["selection=neighbourhood", "distance=hellinger", "distance.feature=wl_subtree"],
    "neighbourhood/learned": ["selection=neighbourhood", "distance=learned"],
    "clusters/kmeans-stability/hellinger": ["selection=cluster_union", "clustering=kmeans", "distance=hellinger"],
    "clusters/agglomerative/edge": ["selection=cluster_union", "clustering=agglomerative", *EDGE],
    "clusters/agglomerative/edge C+Q": ["selection=cluster_union", "clustering=agglomerative", "variant=cq", *EDGE],
    "clusters/agglomerative/learned": ["selection=cluster_union", "clustering=agglomerative", "distance=learned"],
    "clusters/kmeans-multiscale/edge": ["selection=cluster_union", "clustering=kmeans_multiscale", *EDGE],
}
METRICS = {"acc_mean": "mean", "best_of_10": "best-of-10", "best_of_100": "best-of-100",
           "top1pct_recall": "top-1% recall"}
SUBSETS = ("selected", "quantiled", "random", "full")


def evaluate_budgets(reduction, accuracy: pd.Series, budgets, seed: int) -> list[dict]:
    """Rows (budget, subset, metrics) of one fitted reduction cut at every budget."""
    archs = reduction.archs
    no_clusters = pd.Series(-1, index=archs)
    rows = []
    for budget in budgets:
        n = budget_cells(budget, len(archs))
        rng = np.random.default_rng([seed, n])
        subsets = {
            "full": archs,
            "selected": fill_budget(reduction.order, reduction.units, n),
            "quantiled": quantiled(reduction.tf_rank, n),
            "random": archs[np.sort(rng.choice(len(archs), n, replace=False))],
        }
        summary = evaluate(accuracy.reindex(archs), subsets, no_clusters, pd.Series(dtype=float),
                           budgets=(10, 100)).summary
        for subset in SUBSETS:
            rows.append({"budget": budget, "subset": subset, "size": int(summary.at[subset, "size"]),
                         **{m: float(summary.at[subset, m]) for m in METRICS}})
    return rows


def run(procedures, budgets, seeds, benchmark: str, overrides=()) -> pd.DataFrame:
    rows = []
    with initialize_config_dir(config_dir=str(CONFIGS), version_base="1.3"):
        common = [f"benchmark={benchmark}", "output_dir=unused", "logger=none", "plots.enabled=false", *overrides]
        space, accuracy = load_inputs(compose("reduce", overrides=common))
        for name in procedures:
            overrides = PROCEDURES[name]
            per_budget = any(o.startswith("variant=cq") for o in overrides)
            for seed in seeds:
                start = time.perf_counter()
                runs = [(b, [f"selection.budget={b}"]) for b in budgets] if per_budget else [(None, [])]
                for budget, extra in runs:
                    cfg = compose("reduce", overrides=[*overrides, *common, f"seed={seed}", *extra])
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        reduction = reduce_from_config(cfg, space)
                    for row in evaluate_budgets(reduction, accuracy, budgets if budget is None else [budget], seed):
                        rows.append({"procedure": name, "seed": seed, **row,
                                     "params": ", ".join(f"{k}={v}" for k, v in reduction.best_params.items())})
                print(f"{name:>36} seed {seed}: {time.perf_counter() - start:.1f} s "
                      f"({rows[-1]['params']})", flush=True)
    return pd.DataFrame(rows)


def summarise(table: pd.DataFrame) -> pd.DataFrame:
    """One row per procedure and budget: selected (mean and std over seeds) next to the baselines."""
    wide = table.pivot_table(index=["procedure", "budget", "seed"], columns="subset", values=list(METRICS))
    out = {}
    for metric in METRICS:
        selected = wide[(metric, "selected")].groupby(level=[0, 1])
        out[f"{metric}"] = selected.mean()
        out[f"{metric}_std"] = selected.std(ddof=0)
        for baseline in ("quantiled", "random", "full"):
            out[f"{metric}_{baseline}"] = wide[(metric, baseline)].groupby(level=[0, 1]).mean()
        # the verdict of every seed, not of the mean: wins / seeds
        wins = (wide[(metric, "selected")] > wide[(metric, "quantiled")]).groupby(level=[0, 1])
        out[f"{metric}_wins"] = wins.sum().astype(int).astype(str) + "/" + wins.size().astype(str)
    summary = pd.DataFrame(out)
    summary.insert(0, "size", table[table.subset == "selected"].groupby(["procedure", "budget"])["size"].first())
    return summary


def markdown(summary: pd.DataFrame) -> str:
    """The paper table: selected (± std over seeds) vs Quantiled per metric, with wins per seed."""
    lines = ["| procedure | budget | size | " + " | ".join(
        f"{label} sel ± sd | Q | rand | wins" for label in METRICS.values()) + " |",
        "|" + "---|" * (3 + 4 * len(METRICS))]
    for (procedure, budget), row in summary.iterrows():
        cells = [procedure, f"{budget:.1%}", str(int(row["size"]))]
        for metric in METRICS:
            digits = 3 if metric == "top1pct_recall" else 2
            cells += [f"{row[metric]:.{digits}f} ± {row[f'{metric}_std']:.{digits}f}",
                      f"{row[f'{metric}_quantiled']:.{digits}f}", f"{row[f'{metric}_random']:.{digits}f}",
                      row[f"{metric}_wins"]]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plot(summary: pd.DataFrame, outdir: Path) -> list[Path]:
    """One figure per metric: quality against budget, one line per procedure, Quantiled dashed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths = []
    procedures = summary.index.get_level_values(0).unique()
    cmap = plt.get_cmap("tab20")
    for metric, label in METRICS.items():
        fig, ax = plt.subplots(figsize=(8, 5.5))
        for i, procedure in enumerate(procedures):
            rows = summary.loc[procedure]
            x = rows.index.to_numpy() * 100
            style = "-" if procedure.startswith("neighbourhood") else "-."  # neighbourhoods solid, clusters dash-dot
            ax.plot(x, rows[metric], style, marker="o", lw=1.5, color=cmap(i), label=procedure)
            ax.fill_between(x, rows[metric] - rows[f"{metric}_std"], rows[metric] + rows[f"{metric}_std"],
                            color=cmap(i), alpha=0.15, lw=0)
        first = summary.loc[procedures[0]]
        x = first.index.to_numpy() * 100
        ax.plot(x, first[f"{metric}_quantiled"], "k--", lw=2.2, label="Quantiled (best TF rank, same size)")
        ax.plot(x, first[f"{metric}_random"], ":", color="0.45", lw=2, label="random subset (same size)")
        ax.axhline(first[f"{metric}_full"].iloc[0], color="0.6", lw=1, label="full space")
        ax.set_xscale("log")
        ax.set_xticks(x, [f"{v:g}%" for v in x])
        ax.set_xlabel("budget (% of the space's architectures)")
        ax.set_ylabel(f"{label} of CIFAR-10 test accuracy" + (" (share)" if metric == "top1pct_recall" else " (%)"))
        ax.set_title(f"NB201: {label} of the selected sub-space against its budget\n"
                     "(lines: mean over seeds, bands: ± 1 std)")
        ax.legend(fontsize=7, loc="best")
        ax.grid(alpha=0.3)
        path = outdir / f"quality_{metric}.png"
        fig.tight_layout()
        fig.savefig(path, dpi=120)
        plt.close(fig)
        paths.append(path)
    return paths


def plot_headline(summary: pd.DataFrame, procedure: str, outdir: Path) -> Path:
    """One procedure against Quantiled, random and the full space: one panel per metric, budgets on x."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = summary.loc[procedure]
    x = rows.index.to_numpy() * 100
    fig, axes = plt.subplots(2, 2, figsize=(9, 6.6))
    for ax, (metric, label) in zip(axes.flat, METRICS.items()):
        ax.plot(x, rows[metric], "-", marker="o", lw=2, color="tab:red", label=f"selection ({procedure})")
        ax.fill_between(x, rows[metric] - rows[f"{metric}_std"], rows[metric] + rows[f"{metric}_std"],
                        color="tab:red", alpha=0.15, lw=0)
        ax.plot(x, rows[f"{metric}_quantiled"], "k--", marker="s", ms=4, lw=1.8,
                label="Quantiled (best TF rank, same size)")
        ax.plot(x, rows[f"{metric}_random"], ":", marker="^", ms=4, color="0.45", lw=1.8,
                label="random subset (same size)")
        ax.axhline(rows[f"{metric}_full"].iloc[0], color="0.6", lw=1, label="full space")
        ax.set_xscale("log")
        ax.set_xticks(x, [f"{v:g}%" for v in x])
        ax.minorticks_off()
        ax.set_title(label + (" (share of the space's top 1 %)" if metric == "top1pct_recall" else
                              " CIFAR-10 test accuracy (%)"), fontsize=10)
        ax.grid(alpha=0.3)
    for ax in axes[1]:
        ax.set_xlabel("budget (% of the space's architectures)")
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=4, fontsize=8, frameon=False)
    fig.suptitle(f"NAS-Bench-201: the selected sub-space against Quantiled and random, per budget "
                 f"(mean of {int(rows['acc_mean_wins'].iloc[0].split('/')[1])} seeds)", fontsize=11)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    path = outdir / "headline.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def main(argv=None) -> pd.DataFrame:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--procedures", nargs="+", default=list(PROCEDURES), choices=list(PROCEDURES),
                        metavar="NAME", help=f"default: all of {list(PROCEDURES)}")
    parser.add_argument("--budgets", nargs="+", type=float, default=list(BUDGETS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--benchmark", default="nb201_cifar10", help="benchmark config (accuracy table)")
    parser.add_argument("--out", type=Path, default=None, help="directory of quality.csv, quality.md and figures")
    parser.add_argument("overrides", nargs="*", help="extra Hydra overrides for every run, e.g. tfstats=seed_synflow_params")
    parser.add_argument("--table", type=Path, default=None,
                        help="summarise and plot a quality.csv of an earlier run instead of running")
    parser.add_argument("--headline", default=None, metavar="NAME",
                        help="also write headline.png: procedure NAME against Quantiled, random and the full space")
    args = parser.parse_args(argv)
    table = pd.read_csv(args.table) if args.table else run(args.procedures, args.budgets, args.seeds, args.benchmark,
                                                                       args.overrides)
    summary = summarise(table)
    if args.headline is not None and args.headline not in summary.index.get_level_values(0):
        parser.error(f"--headline {args.headline!r}: not a procedure of the table "
                     f"({', '.join(summary.index.get_level_values(0).unique())})")
    text = markdown(summary)
    print(text)
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        table.to_csv(args.out / "quality.csv", index=False)
        (args.out / "quality.md").write_text(text + "\n")
        for path in plot(summary, args.out):
            print("figure:", path)
        if args.headline is not None:
            print("figure:", plot_headline(summary, args.headline, args.out))
    return summary


if __name__ == "__main__":
    main()
