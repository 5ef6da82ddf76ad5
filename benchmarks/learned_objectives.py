"""The learned metric's objectives, measured where the selection uses them (issue 24).

For each encoder (a ``train.py`` run directory per objective: ``model.loss=regression |
contrastive | both``, ``model.tf_weight``), on NB201 CIFAR-10:

- its test fidelity to the exact edit distance (the run's ``fidelity.csv``: Spearman,
  recall@10) and its figure (the run's ``fidelity.png``);
- the leave-one-out criterion of the neighbourhood selection under its distance (the mean
  squared error of predicting a class's aggregate TF rank from its k nearest classes, at the
  chosen k): what the selection needs from a metric, without accuracy;
- the quality-vs-budget harness of ``neighbourhood/learned`` with it (budgets 0.5-10 %,
  seeds), next to ``neighbourhood/edge`` from ``benchmarks/results/selection_quality``.

    python train.py logger=none model.loss=contrastive hydra.run.dir=outputs/enc/contrastive   # one per objective
    python benchmarks/learned_objectives.py --runs outputs/enc/regression outputs/enc/contrastive \\
        outputs/enc/both outputs/enc/regression_tf --out benchmarks/results/learned_objectives

Writes ``objectives.md`` (fidelity, criterion, and the harness table), ``quality.csv`` and one
figure per metric (``quality_*.png``, the procedures of ``selection_quality.py``'s plot).
"""

from __future__ import annotations

import argparse
import json
import warnings
from pathlib import Path

import pandas as pd
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from cbred.api import load_inputs, reduce_from_config

HERE = Path(__file__).resolve().parent
CONFIGS = HERE.parent / "configs"

# (importing selection_quality registers the config resolvers)
from selection_quality import BUDGETS, evaluate_budgets, markdown, plot, summarise  # noqa: E402

EDGE_TABLE = HERE / "results" / "selection_quality" / "quality.csv"


def objective_of(run_dir: Path) -> str:
    """The run's objective as a label: its loss, its TF weight when the TF head is on, the
    spaces it was trained on with NB201 when it is a joint run, and its seed when not 0."""
    config = OmegaConf.load(run_dir / "config.yaml")
    model, joint = config.model, [conf.name for conf in config.get("joint", {}).values()]
    return (model.loss + (f" + TF ranks x{model.tf_weight:g}" if model.tf_weight else "")
            + (f", joint with {' + '.join(joint)}" if joint else "")
            + (f", seed {config.seed}" if config.seed else ""))


def measure(run_dirs, budgets, seeds) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The harness rows and one row of fidelity and criterion per run."""
    rows, facts = [], []
    with initialize_config_dir(config_dir=str(CONFIGS), version_base="1.3"):
        common = ["benchmark=nb201_cifar10", "selection=neighbourhood", "distance=learned", "logger=none",
                  "plots.enabled=false", "output_dir=unused"]
        space, accuracy = load_inputs(compose("reduce", overrides=common))
        for run_dir in map(Path, run_dirs):
            objective = objective_of(run_dir)
            name = f"neighbourhood/learned ({objective})"
            checkpoint = run_dir / "checkpoints" / "best.ckpt"
            fidelity = pd.read_csv(run_dir / "fidelity.csv", index_col="distance").loc["learned"]
            metrics = json.loads((run_dir / "metrics.json").read_text())
            for seed in seeds:
                cfg = compose("reduce", overrides=[*common, f"distance.checkpoint={checkpoint}", f"seed={seed}"])
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    reduction = reduce_from_config(cfg, space, accuracy)
                k = reduction.best_params["n_neighbors"]
                criterion = reduction.stability.set_index("n_neighbors")["loo_mse"]
                for row in evaluate_budgets(reduction, accuracy, budgets, seed):
                    rows.append({"procedure": name, "seed": seed, **row, "params": f"n_neighbors={k}"})
            facts.append({"objective": objective, "run": str(run_dir),
                          "test Spearman": fidelity["spearman"], "test recall@10": fidelity["recall@10"],
                          "k": k, "LOO MSE at k": float(criterion.loc[k]),
                          "fit seconds": metrics.get("seconds/fit")})
            print(facts[-1], flush=True)
    return pd.DataFrame(rows), pd.DataFrame(facts)


def markdown_table(frame: pd.DataFrame) -> str:
    """A plain Markdown table (numbers to 4 significant digits)."""
    cells = frame.map(lambda v: f"{v:.4g}" if isinstance(v, float) else str(v))
    lines = ["| " + " | ".join(frame.columns) + " |", "|" + "---|" * len(frame.columns)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in cells.itertuples(index=False)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", nargs="+", type=Path, required=True, help="train.py run directories")
    parser.add_argument("--budgets", nargs="+", type=float, default=list(BUDGETS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    table, facts = measure(args.runs, args.budgets, args.seeds)
    edge = pd.read_csv(EDGE_TABLE)
    edge = edge[(edge["procedure"] == "neighbourhood/edge") & edge["seed"].isin(args.seeds)
                & edge["budget"].isin(args.budgets)]
    table = pd.concat([table, edge], ignore_index=True)
    summary = summarise(table)
    args.out.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out / "quality.csv", index=False)
    text = ("## Fidelity and the selection's criterion\n\n" + markdown_table(facts)
            + "\n\n## Quality against budget (NB201 CIFAR-10)\n\n" + markdown(summary) + "\n")
    (args.out / "objectives.md").write_text(text)
    print(text)
    for path in plot(summary, args.out):
        print("figure:", path)


if __name__ == "__main__":
    main()
