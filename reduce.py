"""Reduce a NAS search space with C-BRED: ``python reduce.py [overrides]``."""

from __future__ import annotations

import time

import hydra
from hydra.utils import instantiate
from omegaconf import DictConfig


def run(cfg: DictConfig) -> dict:
    """Build the space and its computational graphs; return what was done."""
    start = time.perf_counter()
    space = instantiate(cfg.space)
    graphs = space.graphs()
    classes = space.isomorphism_classes().nunique()
    return {
        "space": space.name,
        "n_archs": len(space),
        "n_isomorphism_classes": int(classes),
        "mean_nodes": float(graphs.n_nodes.mean()),
        "seconds": time.perf_counter() - start,
    }


@hydra.main(version_base="1.3", config_path="configs", config_name="reduce")
def main(cfg: DictConfig) -> None:
    metrics = run(cfg)
    print(
        f"{metrics['space']}: {metrics['n_archs']:,} architectures, "
        f"{metrics['n_isomorphism_classes']:,} isomorphism classes, computational graphs of "
        f"{metrics['mean_nodes']:.2f} nodes on average, built in {metrics['seconds']:.1f} s"
    )


if __name__ == "__main__":
    main()
