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
    python benchmarks/selection_quality.py --table results/quality/quality.csv --out results/quality \
        --logger wandb --fidelity fidelity.csv   # one W&B run per procedure, learned vs handcrafted

Procedures whose order of the units does not depend on the budget are fitted once per seed
and cut at every budget (``Reduction.order``); C+Q compositions are rerun per budget.
Prints the table (mean over seeds, with the standard deviation), writes ``quality.csv``
(every seed), ``quality.md`` and one figure per metric (quality against budget, one line
per procedure, Quantiled dashed); ``--headline NAME`` adds ``headline.png``: that one procedure
against Quantiled, random and the full space, one panel per metric.

Learned against handcrafted distances, in one view: ``--out`` also writes ``comparison.html``
and ``comparison.md`` (procedures grouped by the family of their distance, selected vs
Quantiled per budget and metric; :func:`write_comparison`) and ``comparison_<metric>.png``
(one panel per family); ``--logger wandb|csv`` logs one tracker run per procedure under
``OUT/runs/`` (:func:`log_runs`), W&B offline unless ``WANDB_MODE`` says otherwise;
``--fidelity FILE`` (``train.py``'s ``fidelity.csv`` or ``learned_fidelity.py --out``) adds
each distance's agreement with the edit distance to both.
"""

from __future__ import annotations

import argparse
import functools
import html
import re
import time
import warnings
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
from hydra import compose, initialize_config_dir
from omegaconf import DictConfig, OmegaConf

from cbred.api import load_inputs, reduce_from_config  # noqa: E402
from cbred.cache import atomic_write
from cbred.paths import register_config_resolvers  # noqa: E402
from cbred.report import html_document, link_target, markdown_text
from cbred.tracking import FAMILIES as DISTANCE_FAMILIES, distance_family, start_tracking

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


def _draw_quality(ax, summary: pd.DataFrame, procedures, metric: str, colors: dict) -> None:
    """Quality against budget on ``ax``: one line per procedure (band: ± 1 std over seeds),
    Quantiled dashed, random dotted, the full space flat."""
    for procedure in procedures:
        rows = summary.loc[procedure]
        x = rows.index.to_numpy() * 100
        style = "-" if procedure.startswith("neighbourhood") else "-."  # neighbourhoods solid, clusters dash-dot
        ax.plot(x, rows[metric], style, marker="o", lw=1.5, color=colors[procedure], label=procedure)
        ax.fill_between(x, rows[metric] - rows[f"{metric}_std"], rows[metric] + rows[f"{metric}_std"],
                        color=colors[procedure], alpha=0.15, lw=0)
    first = summary.loc[procedures[0]]
    x = first.index.to_numpy() * 100
    ax.plot(x, first[f"{metric}_quantiled"], "k--", lw=2.2, label="Quantiled (best TF rank, same size)")
    ax.plot(x, first[f"{metric}_random"], ":", color="0.45", lw=2, label="random subset (same size)")
    ax.axhline(first[f"{metric}_full"].iloc[0], color="0.6", lw=1, label="full space")
    ax.set_xscale("log")
    ax.set_xticks(x, [f"{v:g}%" for v in x])
    ax.set_xlabel("budget (% of the space's architectures)")
    ax.legend(fontsize=7, loc="best")
    ax.grid(alpha=0.3)


def _colors(procedures) -> dict:
    """One colour per procedure, the same in every figure."""
    import matplotlib.pyplot as plt

    cmap = plt.get_cmap("tab20")
    return {procedure: cmap(i % cmap.N) for i, procedure in enumerate(procedures)}


def _ylabel(metric: str) -> str:
    return f"{METRICS[metric]} of CIFAR-10 test accuracy" + (" (share)" if metric == "top1pct_recall" else " (%)")


def plot(summary: pd.DataFrame, outdir: Path) -> list[Path]:
    """One figure per metric: quality against budget, one line per procedure, Quantiled dashed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths = []
    procedures = summary.index.get_level_values(0).unique()
    colors = _colors(procedures)
    for metric, label in METRICS.items():
        fig, ax = plt.subplots(figsize=(8, 5.5))
        _draw_quality(ax, summary, procedures, metric, colors)
        ax.set_ylabel(_ylabel(metric))
        ax.set_title(f"NB201: {label} of the selected sub-space against its budget\n"
                     "(lines: mean over seeds, bands: ± 1 std)")
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


# -- learned against handcrafted distances: the tracker runs and the offline view ----------
#: The families the comparison sets side by side, in this order ("unknown": a procedure of
#: the table that PROCEDURES does not know, so no distance config says what it is).
FAMILIES = (*DISTANCE_FAMILIES, "unknown")


def settings(procedure: str) -> dict[str, str]:
    """A procedure's overrides as ``{key: value}`` (empty for a name PROCEDURES does not know)."""
    return dict(override.split("=", 1) for override in PROCEDURES.get(procedure, []))


def distance_of(procedure: str) -> str | None:
    """The distance of a procedure as the fidelity tables name it: the ``distance`` option,
    with its feature when the procedure sets one (``hellinger (wl_subtree)``)."""
    chosen = settings(procedure)
    if "distance" not in chosen:
        return None
    feature = chosen.get("distance.feature")
    return chosen["distance"] + (f" ({feature})" if feature else "")


@functools.cache  # read per procedure by every table and figure of the comparison
def family_of(procedure: str) -> str:
    """``learned`` or ``handcrafted`` from the procedure's distance config, else ``unknown``."""
    config = CONFIGS / "distance" / f"{settings(procedure).get('distance')}.yaml"
    target = OmegaConf.load(config).get("_target_") if config.is_file() else None
    return distance_family(target) or "unknown"


def by_family(procedures) -> dict[str, list[str]]:
    """``{family: procedures}`` in :data:`FAMILIES` order, families without a procedure left out."""
    families = {family: [p for p in procedures if family_of(p) == family] for family in FAMILIES}
    return {family: members for family, members in families.items() if members}


def curves(summary: pd.DataFrame, procedure: str, metric: str) -> pd.DataFrame:
    """Quality against budget (index ``budget_pct``, in %) of one procedure: selected, then
    Quantiled, random and the full space (means over seeds)."""
    rows = summary.loc[procedure]
    frame = pd.DataFrame({"selected": rows[metric], **{b: rows[f"{metric}_{b}"] for b in SUBSETS[1:]}})
    frame.index = pd.Index(np.round(rows.index.to_numpy() * 100, 6), name="budget_pct")
    return frame


def run_metrics(summary: pd.DataFrame, procedure: str) -> dict:
    """The run summary of a procedure: ``<metric>/<subset>@<budget>%`` (selected with its std
    and wins over seeds, Quantiled, random), for the runs table of a workspace."""
    metrics = {}
    for budget, row in summary.loc[procedure].iterrows():
        at = f"@{budget * 100:g}%"
        for metric in METRICS:
            metrics |= {f"{metric}/selected{at}": row[metric], f"{metric}/selected_std{at}": row[f"{metric}_std"],
                        f"{metric}/wins{at}": row[f"{metric}_wins"],
                        **{f"{metric}/{b}{at}": row[f"{metric}_{b}"] for b in ("quantiled", "random")}}
    return metrics


def read_fidelity(path: Path | None) -> pd.DataFrame | None:
    """A fidelity table (``train.py``'s ``fidelity.csv`` or ``learned_fidelity.py --out``):
    index ``distance``, columns ``spearman``, ``recall@10``, ``pearson``."""
    return None if path is None else pd.read_csv(path, index_col="distance")


def fidelity_of(fidelity: pd.DataFrame | None, procedure: str) -> pd.DataFrame:
    """The rows of the fidelity table for a procedure's distance (none when it has none)."""
    if fidelity is None:
        return pd.DataFrame()
    return fidelity[fidelity.index == distance_of(procedure)]


def _slug(procedure: str) -> str:
    """A procedure name as a directory name (``neighbourhood/edge Q+C`` -> ``neighbourhood_edge_Q+C``)."""
    return re.sub(r"[^A-Za-z0-9.+-]+", "_", procedure).strip("_") or "procedure"


def logger_config(name: str) -> DictConfig:
    """``configs/logger/<name>.yaml``, the logger of ``reduce.py`` and ``train.py``."""
    with initialize_config_dir(config_dir=str(CONFIGS), version_base="1.3"):
        return compose(f"logger/{name}").logger


def log_runs(table: pd.DataFrame, logger: DictConfig, out: Path, *, group: str,
             fidelity: pd.DataFrame | None = None, summary: pd.DataFrame | None = None) -> list[Path]:
    """One tracker run per procedure of ``table`` (a ``quality.csv``), under ``out/runs/``.

    Every run: group ``group`` (one harness invocation), name the procedure, tags its family
    (``learned`` / ``handcrafted``) and kind (``neighbourhood`` / ``clusters``); config: the
    procedure, its family and overrides, and ``choice/<group>`` as ``reduce.py``'s runs, so
    that a workspace groups both by distance. Logged: the harness rows (``tables/harness``)
    and their summary (``tables/summary``), per metric the curves against budget
    (``quality/<metric>``: selected, Quantiled, random, full), the summary metrics
    (:func:`run_metrics`), the fidelity row of its distance (``tables/fidelity``, and
    ``fidelity/<column>`` in the summary) when ``fidelity`` has one, and ``headline.png``
    (:func:`plot_headline`). Returns the run directories.
    """
    summary = summarise(table) if summary is None else summary  # main's, when it has one
    runs = []
    for i, procedure in enumerate(summary.index.get_level_values(0).unique()):
        run_dir = out / "runs" / f"{i:02d}_{_slug(procedure)}"
        run_dir.mkdir(parents=True, exist_ok=True)
        family, chosen = family_of(procedure), settings(procedure)
        tags = [family, procedure.split("/")[0]]
        cfg = OmegaConf.create({
            "procedure": procedure, "family": family, "distance": distance_of(procedure), "group": group,
            "tags": tags, "overrides": PROCEDURES.get(procedure, []),
            # config groups only (no dot): the same keys as reduce.py's hydra choices
            "choice": {key: value for key, value in chosen.items() if "." not in key},
            "logger": OmegaConf.to_container(logger),
        })
        # each logger takes the parts of the run's identity its config declares: W&B all of
        # them, the CSV logger its directory (the rest is in its config.json)
        identity = {"group": group, "name": procedure, "tags": tags, "dir": str(run_dir)}
        for key, value in identity.items():
            if key in cfg.logger:
                cfg.logger[key] = value
        rows = fidelity_of(fidelity, procedure)
        fidelity_metrics = {f"fidelity/{column}": float(v) for column, v in rows.iloc[0].items()} if len(rows) else {}
        with start_tracking(cfg, job_type="selection_quality") as tracker:
            tracker.log_table("tables/harness", table[table.procedure == procedure].reset_index(drop=True))
            tracker.log_table("tables/summary", summary.loc[[procedure]])
            for metric in METRICS:
                tracker.log_series(f"quality/{metric}", curves(summary, procedure, metric))
            if len(rows):
                tracker.log_table("tables/fidelity", rows)
            tracker.log_metrics({**run_metrics(summary, procedure), **fidelity_metrics})
            tracker.log_images({"quality": plot_headline(summary, procedure, run_dir)})
        runs.append(run_dir)
    return runs


#: Title and legend of the offline view.
TITLE = "Selection quality: learned against handcrafted distances"
LEGEND = ("Mean over seeds of the selected sub-space (± std) next to Quantiled (the best cells by TF rank, "
          "same size), per budget; bold: selected beats Quantiled.")
FIDELITY_NOTE = ("Agreement of each distance with the exact graph edit distance on held-out architectures "
                 "(Spearman over all query-pool pairs, recall of the 10 nearest neighbours); procedures: those "
                 "of the harness that use the distance.")


def plot_comparison(summary: pd.DataFrame, outdir: Path) -> dict[str, Path]:
    """One figure per metric, ``comparison_<metric>.png``: one panel per distance family
    (learned, handcrafted), side by side on one y axis, each with Quantiled, random and the
    full space."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    families = by_family(summary.index.get_level_values(0).unique())
    colors = _colors(summary.index.get_level_values(0).unique())
    paths = {}
    for metric, label in METRICS.items():
        fig, axes = plt.subplots(1, len(families), figsize=(6.5 * len(families), 5), sharey=True, squeeze=False)
        for ax, (family, procedures) in zip(axes[0], families.items()):
            _draw_quality(ax, summary, procedures, metric, colors)
            ax.set_title(f"{family} distances")
        axes[0][0].set_ylabel(_ylabel(metric))
        fig.suptitle(f"{label} of the selected sub-space against its budget (mean over seeds, ± 1 std)")
        fig.tight_layout()
        paths[metric] = outdir / f"comparison_{metric}.png"
        fig.savefig(paths[metric], dpi=110)
        plt.close(fig)
    return paths


def _cells(summary: pd.DataFrame, procedure: str, metric: str) -> list[tuple[str, str, bool]]:
    """Per budget: (selected ± std, Quantiled, whether selected beats Quantiled on the mean)."""
    digits = 3 if metric == "top1pct_recall" else 2
    return [(f"{row[metric]:.{digits}f} ± {row[f'{metric}_std']:.{digits}f}",
             f"{row[f'{metric}_quantiled']:.{digits}f}", bool(row[metric] > row[f"{metric}_quantiled"]))
            for _, row in summary.loc[procedure].iterrows()]


def comparison_markdown(summary: pd.DataFrame, figures: dict[str, Path], fidelity: pd.DataFrame | None) -> str:
    """``comparison.md``: per metric, procedures grouped by family against budgets (selected
    ± std and Quantiled; bold where selected beats Quantiled), the figure, the fidelity table."""
    budgets = [f"{b * 100:g}%" for b in summary.index.get_level_values(1).unique()]
    families = by_family(summary.index.get_level_values(0).unique())
    lines = [f"# {markdown_text(TITLE)}", "", markdown_text(LEGEND), ""]
    for metric, label in METRICS.items():
        header = ["family", "procedure", *(f"{b} {s}" for b in budgets for s in ("selected ± sd", "Quantiled"))]
        lines += [f"## {markdown_text(label)}", "", "| " + " | ".join(map(markdown_text, header)) + " |",
                  "|" + "---|" * len(header)]
        for family, procedures in families.items():
            for procedure in procedures:
                cells = [markdown_text(family), markdown_text(procedure)]
                for selected, baseline, wins in _cells(summary, procedure, metric):
                    cells += [f"**{markdown_text(selected)}**" if wins else markdown_text(selected),
                              markdown_text(baseline)]
                lines.append("| " + " | ".join(cells) + " |")
        lines += ["", f"![{markdown_text(label)}]({link_target(figures[metric].name)})", ""]
    if fidelity is not None:
        lines += ["## Fidelity to the edit distance", "", markdown_text(FIDELITY_NOTE), "",
                  _fidelity_frame(summary, fidelity).pipe(_markdown_frame), ""]
    return "\n".join(lines)


def _fidelity_frame(summary: pd.DataFrame, fidelity: pd.DataFrame) -> pd.DataFrame:
    """The fidelity table with the harness procedures that use each distance."""
    users = {}
    for procedure in summary.index.get_level_values(0).unique():
        users.setdefault(distance_of(procedure), []).append(procedure)
    frame = fidelity.map(lambda v: f"{v:.3f}" if isinstance(v, float) else str(v))
    frame["procedures"] = [", ".join(users.get(distance, [])) for distance in fidelity.index]
    return frame


def _markdown_frame(frame: pd.DataFrame) -> str:
    header = [frame.index.name or "", *frame.columns]
    lines = ["| " + " | ".join(map(markdown_text, header)) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(map(markdown_text, [index, *row])) + " |" for index, row in frame.iterrows()]
    return "\n".join(lines)


def comparison_html(summary: pd.DataFrame, figures: dict[str, Path], fidelity: pd.DataFrame | None) -> str:
    """``comparison.html``: the tables of :func:`comparison_markdown`, one row group per
    family, and the figures; every text from the table escaped."""
    budgets = [f"{b * 100:g}%" for b in summary.index.get_level_values(1).unique()]
    families = by_family(summary.index.get_level_values(0).unique())
    e = html.escape
    body = [f"<p>{e(LEGEND)}</p>"]
    for metric, label in METRICS.items():
        head = ("<tr><th rowspan='2'>procedure</th>" + "".join(f"<th colspan='2'>{e(b)}</th>" for b in budgets)
                + "</tr><tr>" + "<th>selected ± sd</th><th>Quantiled</th>" * len(budgets) + "</tr>")
        groups = []
        for family, procedures in families.items():
            rows = [f"<tr><th colspan='{1 + 2 * len(budgets)}' style='text-align:left'>{e(family)} distances</th></tr>"]
            for procedure in procedures:
                cells = "".join(f"<td>{'<b>' + e(sel) + '</b>' if wins else e(sel)}</td><td>{e(q)}</td>"
                                for sel, q, wins in _cells(summary, procedure, metric))
                rows.append(f"<tr><th style='text-align:left'>{e(procedure)}</th>{cells}</tr>")
            groups.append("<tbody>" + "".join(rows) + "</tbody>")
        src = e(link_target(figures[metric].name))
        body += [f"<h2>{e(label)}</h2><table><thead>{head}</thead>{''.join(groups)}</table>",
                 f'<p><a href="{src}"><img src="{src}" style="max-width:100%" alt="{e(label)}"></a></p>']
    if fidelity is not None:
        frame = _fidelity_frame(summary, fidelity)
        body.append(f"<h2>Fidelity to the edit distance</h2><p>{e(FIDELITY_NOTE)}</p>" + frame.to_html(escape=True))
    return html_document(TITLE, "".join(body))


def write_comparison(table: pd.DataFrame, out: Path, fidelity: pd.DataFrame | None = None, *,
                     summary: pd.DataFrame | None = None) -> dict[str, Path]:
    """Write ``comparison.md``, ``comparison.html`` and ``comparison_<metric>.png`` into ``out``.

    The offline view of :func:`log_runs`. It is written here rather than by
    ``cbred.report``: the sweep report reads one ``metrics.json`` per Hydra run, whereas the
    harness's rows are one ``quality.csv`` that only this script summarises; the page uses
    the report's escaping helpers and page style.
    """
    summary = summarise(table) if summary is None else summary  # main's, when it has one
    figures = plot_comparison(summary, out)
    paths = {"markdown": out / "comparison.md", "html": out / "comparison.html"}
    markdown_page = comparison_markdown(summary, figures, fidelity)
    html_page = comparison_html(summary, figures, fidelity)
    atomic_write(paths["markdown"], lambda tmp: tmp.write_text(markdown_page))
    atomic_write(paths["html"], lambda tmp: tmp.write_text(html_page))
    return {**paths, **{f"figure/{metric}": path for metric, path in figures.items()}}


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
    parser.add_argument("--logger", default="none", choices=sorted(p.stem for p in (CONFIGS / "logger").glob("*.yaml")),
                        help="also log one run per procedure (configs/logger/<name>.yaml; W&B offline unless "
                             "WANDB_MODE says otherwise) under OUT/runs/, and write OUT/comparison.html")
    parser.add_argument("--group", default=None,
                        help="group of the logged runs (default: the --out directory, one group per invocation)")
    parser.add_argument("--fidelity", type=Path, default=None, metavar="FILE",
                        help="fidelity table (train.py's fidelity.csv or learned_fidelity.py --out) logged "
                             "with the procedures of each distance and shown in comparison.html")
    args = parser.parse_args(argv)
    if args.logger != "none" and args.out is None:
        # one directory per invocation, as Hydra's outputs/
        args.out = Path("outputs") / "selection_quality" / datetime.now().strftime("%Y-%m-%d_%H-%M-%S")
    fidelity = read_fidelity(args.fidelity)
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
        for path in write_comparison(table, args.out, fidelity, summary=summary).values():
            print("comparison:", path)
    if args.logger != "none":
        runs = log_runs(table, logger_config(args.logger), args.out, group=args.group or str(args.out),
                        fidelity=fidelity, summary=summary)
        print(f"{len(runs)} {args.logger} runs under {args.out / 'runs'}")
    return summary


if __name__ == "__main__":
    main()
