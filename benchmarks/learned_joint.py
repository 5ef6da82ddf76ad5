"""One encoder for several spaces against one encoder per space (issue 24, point 3).

Reads finished ``train.py`` run directories: per-space runs (``space=<name>``) and joint
runs (``+space@joint.<name>=<name>``, :class:`cbred.learned.joint.JointPairDataModule`).
Every space of a joint run is tested on the held-out set its per-space run is tested on
(same seed, holdout and fidelity sizes give the same queries and pool), so the rows of a
space compare the encoders on the same held-out pairs.

    python train.py space=nb201 hydra.run.dir=outputs/multi/nb201                      # one per space
    python train.py +space@joint.nb101=nb101 +space@joint.tnb101_micro=tnb101_micro \\
        hydra.run.dir=outputs/multi/joint_regression
    python benchmarks/learned_joint.py --runs outputs/multi/nb201 outputs/multi/nb101 \\
        outputs/multi/tnb101_micro outputs/multi/joint_regression --out benchmarks/results/learned_joint

Writes ``joint.md`` (one row per space and encoder) and copies every run's fidelity
figures (``<run>_fidelity[_<space>].png``).
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import pandas as pd
from omegaconf import OmegaConf

from cbred.learned.joint import fidelity_suffix


def spaces_of(run_dir: Path) -> list[str]:
    """The spaces a run trained on: its ``space``, then its ``joint`` ones."""
    config = OmegaConf.load(run_dir / "config.yaml")
    return [config.space.name, *(conf.name for conf in config.get("joint", {}).values())]


def rows_of(run_dir: Path) -> list[dict]:
    """One row per space the run was tested on: the learned distance's test fidelity."""
    spaces = spaces_of(run_dir)
    config = OmegaConf.load(run_dir / "config.yaml")
    metrics = json.loads((run_dir / "metrics.json").read_text())
    rows = []
    for space in spaces:
        suffix = fidelity_suffix(space, spaces)
        fidelity = pd.read_csv(run_dir / f"fidelity{suffix}.csv", index_col="distance").loc["learned"]
        rows.append({
            "space": space,
            "encoder": "per-space" if len(spaces) == 1 else "joint: " + " + ".join(spaces),
            "objective": config.model.loss,
            "train pairs (all spaces)": metrics["n_train_pairs"],
            "epochs": metrics["epochs"],
            "fit seconds": metrics.get("seconds/fit"),
            "test Spearman": float(fidelity["spearman"]),
            "test recall@10": float(fidelity["recall@10"]),
            "run": run_dir.name,
        })
    return rows


def markdown_table(frame: pd.DataFrame) -> str:
    cells = frame.map(lambda v: (f"{v:.4f}" if abs(v) < 10 else f"{v:.1f}") if isinstance(v, float) else str(v))
    lines = ["| " + " | ".join(frame.columns) + " |", "|" + "---|" * len(frame.columns)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in cells.itertuples(index=False)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", nargs="+", type=Path, required=True, help="train.py run directories")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    for run_dir in args.runs:
        if not (run_dir / "metrics.json").is_file():
            parser.error(f"{run_dir} is not a finished train.py run (no metrics.json)")
    table = pd.DataFrame([row for run_dir in args.runs for row in rows_of(run_dir)])
    table = table.sort_values(["space", "encoder"], kind="stable", key=lambda c: c.str.startswith("joint") if c.name == "encoder" else c)
    args.out.mkdir(parents=True, exist_ok=True)
    text = "## Test fidelity per space: one encoder per space against one for all\n\n" + markdown_table(table) + "\n"
    (args.out / "joint.md").write_text(text)
    print(text)
    for run_dir in args.runs:
        for figure in sorted(run_dir.glob("fidelity*.png")):
            shutil.copyfile(figure, args.out / f"{run_dir.name}_{figure.name}")


if __name__ == "__main__":
    main()
