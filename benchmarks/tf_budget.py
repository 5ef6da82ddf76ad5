"""Quality of the reduction against the TF budget: how many cells must be measured.

The committed full tables are oracles: a cell's training-free statistics are revealed when
a sampler "measures" it (:class:`cbred.sampling.TableOracle`), so a budget is studied
without being spent. For each share of the isomorphism classes measured (1 % ... 100 %),
each sampler (uniform, active) and each seed, the default reduction scores the space from
the measured cells (``tfstats.partial``) and its 1 % selection is evaluated next to

- Quantiled over the measured cells: the best measured cells by aggregate TF rank, same size;
- the full-table default and Quantiled on the full table (every cell measured).

Measures: mean, best-of-10, best-of-100, top-1 % recall (CIFAR-10 test accuracy on NB201,
validation accuracy of ``nb101_20k.csv`` on NB101). Accuracy is read by the evaluation only.

    python benchmarks/tf_budget.py --space nb201 --out benchmarks/results/tf_budget/nb201
    python benchmarks/tf_budget.py --space nb101 --out benchmarks/results/tf_budget/nb101
    python benchmarks/tf_budget.py --space nb201 --seeds 0 --fractions 0.02 0.1 --samplers active
    python benchmarks/tf_budget.py --table DIR/tf_budget.csv --out DIR      # re-plot

On NB101 the space is the 30,001-cell TF sample (the oracle can reveal nothing else) scored
with ``experiment=nb101``'s encoder and statistics; "100 %" is the committed uniform sample.
Writes ``tf_budget.csv`` (every run), ``tf_budget.md`` (means and spreads over seeds) and
one figure per measure.
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import pandas as pd
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate

from cbred.api import load_inputs, reduce_from_config
from cbred.evaluation import evaluate
from cbred.paths import register_config_resolvers
from cbred.pipeline import quantiled
from cbred.sampling import ActiveSampling, TableOracle, UniformSampling, sample_statistics
from cbred.selection import budget_cells
from cbred.spaces.sample import SpaceSample
from cbred.tables import load_tf_table

register_config_resolvers()
CONFIGS = Path(__file__).resolve().parent.parent / "configs"
FRACTIONS = (0.01, 0.02, 0.05, 0.1, 0.25, 1.0)
SAMPLERS = {"uniform": UniformSampling, "active": ActiveSampling}
METRICS = {"acc_mean": "mean", "best_of_10": "best-of-10", "best_of_100": "best-of-100",
           "top1pct_recall": "top-1% recall"}
#: space -> reduce.py overrides (the full table is the oracle; the runs see what was measured)
SPACES = {
    "nb201": ["benchmark=nb201_cifar10"],
    "nb101": ["experiment=nb101", "benchmark=nb101_20k"],
}


def _compose(space: str, extra=()) -> object:
    return compose("reduce", overrides=[*SPACES[space], "logger=none", "plots.enabled=false",
                                        "output_dir=unused", *extra])


def _inputs(space: str, cfg):
    """The space the study runs on, its accuracy and the oracle table."""
    oracle_table = load_tf_table(cfg.tfstats.path, duplicates=cfg.tfstats.duplicates)
    listed, accuracy = load_inputs(cfg)
    if space == "nb101":  # only the sample can be revealed: it is the space
        return SpaceSample(listed, list(oracle_table.index)), accuracy, oracle_table
    return listed, accuracy, oracle_table


def _measures(reduction, accuracy: pd.Series, subsets: dict) -> dict[str, dict[str, float]]:
    archs = reduction.archs
    with warnings.catch_warnings():  # a partial accuracy table (NB101) says so on every call
        warnings.simplefilter("ignore")
        summary = evaluate(accuracy.reindex(archs), subsets, pd.Series(-1, index=archs), pd.Series(dtype=float),
                           budgets=(10, 100)).summary
    return {name: {m: float(summary.at[name, m]) for m in METRICS} | {"n_evaluated": int(summary.at[name, "n_evaluated"])}
            for name in subsets}


def run(space: str, fractions, samplers, seeds, sampler_params: dict) -> pd.DataFrame:
    rows = []
    with initialize_config_dir(config_dir=str(CONFIGS), version_base="1.3"):
        full_cfg = _compose(space)
        cfg = _compose(space, ["tfstats.partial=true"])
        study_space, accuracy, oracle_table = _inputs(space, full_cfg)
        statistics = list(cfg.tfstats.statistics)
        aggregate = instantiate(cfg.tfstats.aggregate) if cfg.tfstats.aggregate else None
        distance = instantiate(cfg.distance)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reference = reduce_from_config(full_cfg, study_space, accuracy, tf_table=oracle_table)
        n_cells = budget_cells(full_cfg.selection.budget, len(reference.archs))
        ref = _measures(reference, accuracy, {"selected": reference.subsets["selected"],
                                              "quantiled": reference.subsets["quantiled"]})
        n_units = reference.units.nunique()
        base = {"space": space, "n_units": n_units}
        rows += [{**base, "sampler": "full table", "fraction": 1.0, "seed": -1, "subset": f"full-table {k}",
                  "n_measured": n_units, **v} for k, v in ref.items()]
        for name in samplers:
            for fraction in fractions:
                budget = n_units if fraction >= 1 else fraction
                for seed in seeds:
                    start = time.perf_counter()
                    sampler = SAMPLERS[name](budget=budget, random_state=seed,
                                             **(sampler_params if name == "active" else {}))
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        table, fitted = sample_statistics(study_space, distance, sampler, TableOracle(oracle_table),
                                                          statistics=statistics, aggregate=aggregate,
                                                          dedup=cfg.dedup, representation=cfg.representation,
                                                          random_state=seed)
                        run_cfg = _compose(space, [f"tfstats.sampling={name}", f"seed={seed}"])  # what was measured, how
                        reduction = reduce_from_config(run_cfg, study_space, accuracy, tf_table=table)
                    found = _measures(reduction, accuracy, {
                        "selected": reduction.subsets["selected"],
                        "quantiled (measured)": quantiled(reduction.tf_rank, n_cells, uniform_sample=False)})
                    for subset, values in found.items():
                        rows.append({**base, "sampler": name, "fraction": fraction, "seed": seed, "subset": subset,
                                     "n_measured": len(fitted.measured_), **values})
                    print(f"{space} {name:>7} {fraction:6.1%} seed {seed}: {len(fitted.measured_)} measured, "
                          f"selected mean {found['selected']['acc_mean']:.3f} "
                          f"b10 {found['selected']['best_of_10']:.3f} "
                          f"({time.perf_counter() - start:.1f} s)", flush=True)
    return pd.DataFrame(rows)


def summarise(table: pd.DataFrame) -> pd.DataFrame:
    """Mean and std over seeds of every measure, per sampler, fraction and subset."""
    grouped = table.groupby(["sampler", "fraction", "subset"], sort=False)
    out = grouped[list(METRICS)].mean()
    for metric in METRICS:
        out[f"{metric}_std"] = grouped[metric].std(ddof=0).fillna(0.0)
    out["n_measured"] = grouped["n_measured"].mean()
    out["n_seeds"] = grouped.size()
    return out


def markdown(summary: pd.DataFrame) -> str:
    lines = ["| sampler | measured | subset | " + " | ".join(f"{label} ± sd" for label in METRICS.values()) + " |",
             "|" + "---|" * (3 + len(METRICS))]
    for (sampler, fraction, subset), row in summary.iterrows():
        cells = [sampler, f"{fraction:.0%} ({row['n_measured']:.0f} classes)", subset]
        for metric in METRICS:
            digits = 4 if abs(row[metric]) < 10 else 3  # accuracies as fractions (NB101) need a fourth
            cells.append(f"{row[metric]:.{digits}f} ± {row[f'{metric}_std']:.{digits}f}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plot(summary: pd.DataFrame, space: str, outdir: Path) -> list[Path]:
    """One figure per measure: the selection and Quantiled-over-measured against the budget."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths = []
    styles = {("uniform", "selected"): ("tab:blue", "-", "o", "selection, uniform sample"),
              ("active", "selected"): ("tab:red", "-", "o", "selection, active sample"),
              ("uniform", "quantiled (measured)"): ("tab:blue", "--", "s", "Quantiled over the uniform sample"),
              ("active", "quantiled (measured)"): ("tab:red", "--", "s", "Quantiled over the active sample")}
    metric_of = {"nb201": "CIFAR-10 test accuracy (%)", "nb101": "validation accuracy"}
    for metric, label in METRICS.items():
        fig, ax = plt.subplots(figsize=(8, 5.2))
        for (sampler, subset), (colour, line, marker, name) in styles.items():
            if (sampler, subset) not in {(s, u) for s, _, u in summary.index}:
                continue
            rows = summary.xs((sampler, subset), level=("sampler", "subset"))
            x = rows.index.to_numpy() * 100
            ax.plot(x, rows[metric], line, marker=marker, color=colour, lw=1.8, label=name)
            ax.fill_between(x, rows[metric] - rows[f"{metric}_std"], rows[metric] + rows[f"{metric}_std"],
                            color=colour, alpha=0.12, lw=0)
        full = summary.xs("full table", level="sampler")
        ax.axhline(full.xs("full-table selected", level="subset")[metric].iloc[0], color="k", lw=1.4,
                   label="full-table default (every class measured)")
        ax.axhline(full.xs("full-table quantiled", level="subset")[metric].iloc[0], color="k", lw=1.4, ls=":",
                   label="Quantiled on the full table")
        ax.set_xscale("log")
        ticks = sorted({f for _, f, _ in summary.index if _ != "full table"})
        ax.set_xticks([t * 100 for t in ticks], [f"{t * 100:g}%" for t in ticks])
        ax.minorticks_off()
        ax.set_xlabel("TF budget: share of the isomorphism classes measured")
        unit = " (share of the top 1 %)" if metric == "top1pct_recall" else f" of {metric_of[space]}"
        ax.set_ylabel(label + unit)
        ax.set_title(f"{space.upper()}: {label} of the 1 % selection against the TF budget\n"
                     "(lines: mean over seeds, bands: ± 1 std)", fontsize=10)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="best")
        fig.tight_layout()
        path = outdir / f"tf_budget_{metric}.png"
        fig.savefig(path, dpi=120)
        plt.close(fig)
        paths.append(path)
    return paths


def _parameter(text: str) -> tuple[str, object]:
    """``NAME=VALUE`` with the value read as a number where it is one."""
    name, _, value = text.partition("=")
    for kind in (int, float):
        try:
            return name, kind(value)
        except ValueError:
            continue
    return name, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--space", choices=sorted(SPACES), default="nb201")
    parser.add_argument("--fractions", type=float, nargs="+", default=list(FRACTIONS))
    parser.add_argument("--samplers", nargs="+", choices=sorted(SAMPLERS), default=["uniform", "active"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--active", nargs="*", default=[], metavar="NAME=VALUE",
                        help="ActiveSampling parameters, e.g. exploration=0.5 acquisition=expected_improvement")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--table", type=Path, default=None, help="re-plot a tf_budget.csv")
    args = parser.parse_args()
    params = dict(_parameter(text) for text in args.active)
    start = time.perf_counter()
    table = pd.read_csv(args.table) if args.table else run(args.space, args.fractions, args.samplers, args.seeds, params)
    summary = summarise(table)
    print(markdown(summary))
    print(f"{time.perf_counter() - start:.0f} s")
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        table.to_csv(args.out / "tf_budget.csv", index=False)
        (args.out / "tf_budget.md").write_text(markdown(summary) + "\n")
        for path in plot(summary, table["space"].iloc[0], args.out):
            print(path)


if __name__ == "__main__":
    main()
