"""Does C-BRED make NAS converge faster? Queries to the top 1 % / 0.1 %, per strategy and sub-space.

Runs ``search.py``'s ``run`` (one process, the benchmark table as the oracle) and prints
one row per (sub-space, strategy): median queries to reach the full space's top 1 % and
top 0.1 % with their 95 % bootstrap intervals and the share of runs that reached them
within the budget, the mean best accuracy at 10 / 50 / 100 / 300 queries, then the
speed-ups over the full space.

    python benchmarks/search_speedup.py                      # NB201 CIFAR-10, every sub-space and strategy
    python benchmarks/search_speedup.py --nb101              # NB101 (the 20,001 cells with accuracy): experiment=nb101
    python benchmarks/search_speedup.py --runs 100 --budget 1000 --out outputs/search_speedup -- strategy.rea.restrict_mutations=false
    python benchmarks/search_speedup.py --strategies '[rea,random]' --results benchmarks/results/nb201   # the README's figure

``--results DIR`` copies the run's ``anytime.png`` and ``metrics.json`` to ``DIR/search_anytime.png`` and
``DIR/search_metrics.json`` (the run directory itself, with its query log, is too large to commit).

Extra arguments after ``--`` are Hydra overrides of ``configs/search.yaml``.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

import pandas as pd
from hydra import compose, initialize_config_dir

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from search import format_summary, run  # noqa: E402  (the entry point itself)

CONFIGS = Path(__file__).resolve().parent.parent / "configs"
SETUPS = {
    "nb201": ["benchmark=nb201_cifar10", "space_subset=[full,reduced,quantiled,random]"],
    "nb101": ["experiment=nb101", "benchmark=nb101_20k", "space_subset=[full,reduced,quantiled,random]"],
}


def table_of(metrics: dict) -> pd.DataFrame:
    rows = {}
    for key, value in metrics.items():
        parts = key.split("/")
        if len(parts) == 3 and parts[0] in ("full", "reduced", "quantiled", "random"):
            rows.setdefault((parts[0], parts[1]), {})[parts[2]] = value
    frame = pd.DataFrame.from_dict(rows, orient="index")
    columns = [c for c in frame.columns if c.startswith("queries_to") or c in ("best_at_10", "best_at_50",
                                                                               "best_at_100", "best_at_300")]
    return frame[columns]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nb101", action="store_true", help="NB101 (experiment=nb101) instead of NB201")
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--budget", type=int, default=1000)
    parser.add_argument("--strategies", default="[rea,random,local]")
    parser.add_argument("--out", default=None, help="run directory (default: outputs/search_speedup/<space>)")
    parser.add_argument("--results", type=Path, default=None,
                        help="copy anytime.png and metrics.json to DIR/search_anytime.png and DIR/search_metrics.json")
    parser.add_argument("overrides", nargs="*")
    args = parser.parse_args(argv)
    name = "nb101" if args.nb101 else "nb201"
    out = Path(args.out or f"outputs/search_speedup/{name}")
    overrides = [*SETUPS[name], f"strategy={args.strategies}", f"search.n_runs={args.runs}",
                 f"search.budget={args.budget}", f"output_dir={out.resolve()}", "logger=none", *args.overrides]
    with initialize_config_dir(config_dir=str(CONFIGS), version_base="1.3"):
        cfg = compose("search", overrides=overrides)
    start = time.perf_counter()
    metrics = run(cfg)
    seconds = time.perf_counter() - start
    with pd.option_context("display.width", 200, "display.max_columns", 30, "display.precision", 3):
        print(table_of(metrics))
    print(format_summary(metrics))
    print(f"python benchmarks/search_speedup.py {' '.join(argv if argv is not None else sys.argv[1:])}: "
          f"{seconds:.0f} s, outputs in {out}")
    if args.results is not None:
        args.results.mkdir(parents=True, exist_ok=True)
        for source, target in (("anytime.png", "search_anytime.png"), ("metrics.json", "search_metrics.json")):
            if (out / source).exists():
                shutil.copyfile(out / source, args.results / target)
                print("copied:", args.results / target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
