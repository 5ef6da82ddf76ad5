"""Train the graph encoder of ``distance=learned``: ``python train.py [overrides]``.

``run(cfg)`` is a pure function of the composed config (tests call it through Hydra's
compose API); ``main`` only adds Hydra's command line. A run fits the encoder to the graph
edit distance on training architectures, keeps the checkpoint with the best validation
fidelity, measures the test fidelity of that checkpoint and of the reference
(probabilistic) distances on held-out architectures, and writes into the run directory
``checkpoints/best.ckpt`` (and ``last.ckpt``, where a killed run rerun in the same
directory continues: ``resume``), ``fidelity.csv`` (and ``fidelity.png``: embedding against edit
distance of the held-out pairs), ``metrics.json`` and ``config.yaml``. A joint run
(``+space@joint.<name>=<name>``: one encoder for several spaces) also writes
``fidelity_<name>.csv`` and ``.png`` for every joint space.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import hydra
import pytorch_lightning as pl
import torch
from hydra.utils import instantiate, to_absolute_path
from omegaconf import DictConfig, OmegaConf

from cbred.cache import atomic_write
from cbred.cli import run_cli
from cbred.learned.featurizer import GraphFeaturizer, space_vocab, union_vocab
from cbred.learned.distance import LearnedDistance, export_encoder
from cbred.learned.joint import JointPairDataModule, fidelity_suffix
from cbred.learned.metric_learner import fidelity_table
from cbred.viz.figures import save_figure
from cbred.viz.fidelity import fidelity_figure
from cbred.spaces.sample import SpaceSample
from cbred.tracking import start_tracking

log = logging.getLogger("train")


def run(cfg: DictConfig) -> dict:
    """Train, test, write the run directory; returns the metrics (also in ``metrics.json``)."""
    started = time.perf_counter()
    if cfg.num_threads is not None:
        torch.set_num_threads(cfg.num_threads)
    pl.seed_everything(cfg.seed, workers=True)
    output_dir = Path(cfg.output_dir)
    # the space, then the spaces trained on with it (joint: one encoder for several spaces)
    configs = [cfg.space, *(cfg.get("joint") or {}).values()]
    names = [conf.name for conf in configs]
    if len(set(names)) < len(names):
        raise ValueError(f"train.py: joint names a space twice: {names}")
    spaces = [_trainable(instantiate(conf), cfg) for conf in configs]
    features = dict(cfg.features)
    # features.spaces: declared spaces whose operations the encoder also reads
    vocab = union_vocab(*(space.node_vocab for space in spaces),
                        *(space_vocab(name) for name in features.pop("spaces", None) or ()))
    featurizer = GraphFeaturizer(vocab, **features)
    # objects go into the partial, not through Hydra (which would turn the dataclass into a dict)
    make = instantiate(cfg.datamodule, _partial_=True, _convert_="all")
    modules = {space.name: make(space=space, featurizer=featurizer) for space in spaces}
    datamodule = JointPairDataModule(modules) if len(modules) > 1 else modules[names[0]]
    encoder = instantiate(cfg.encoder, in_channels=featurizer.num_features)
    model = instantiate(
        cfg.model, encoder=encoder, space="+".join(names), vocab=featurizer.vocab, max_depth=featurizer.max_depth,
        tf_statistics=list(datamodule.tf_statistics),
    )
    callbacks = [instantiate(callback) for callback in cfg.callbacks.values()]
    with start_tracking(cfg, job_type="train") as tracker:
        trainer = instantiate(cfg.trainer, callbacks=callbacks, logger=tracker.lightning_logger())
        datamodule.setup("fit")  # the data first, so that seconds/fit is the training alone
        prepared = time.perf_counter()
        trainer.fit(model, datamodule=datamodule, ckpt_path=cfg.get("resume"))
        fitted = time.perf_counter()
        best = trainer.checkpoint_callback.best_model_path
        if not best:
            raise RuntimeError("training ended before the first validation: no checkpoint was written")
        test = trainer.test(model, datamodule=datamodule, ckpt_path=best, verbose=False)[0]

        references = {name: instantiate(conf, cache=False) for name, conf in cfg.get("reference", {}).items()}
        encoder_distance = LearnedDistance(checkpoint=best, device=cfg.device, cache=False)
        # every space's learned distances of its test set, once: for its table and its figure
        test_sets = datamodule.test_sets()
        learned = {name: encoder_distance.pairwise(test_set.queries, test_set.pool)
                   for name, test_set in test_sets.items()}
        tables = {name: fidelity_table({"learned": learned[name], **references}, test_set, k=cfg.model.k)
                  for name, test_set in test_sets.items()}
        metrics = {
            **{key: float(value) for key, value in test.items()},
            "best_checkpoint": best,
            "best/val_spearman": float(trainer.checkpoint_callback.best_model_score),
            "epochs": int(trainer.current_epoch),
            "steps": int(trainer.global_step),
            "n_train_pairs": int(datamodule.train_set_.n_pairs),
            "seconds/data": round(prepared - started, 1),  # space, split, sampling, targets
            "seconds/fit": round(fitted - prepared, 1),
            # a joint run names every space's (its plain test/ metrics are their mean)
            **{f"reference/{space + '/' if len(names) > 1 else ''}{name}/{column}": float(value)
               for space, table in tables.items()
               for name, row in table.drop(index="learned").iterrows() for column, value in row.items()},
        }
        if cfg.export:
            metrics["export"] = str(export_encoder(best, to_absolute_path(cfg.export)))
        metrics["seconds/total"] = round(time.perf_counter() - started, 1)
        for space, table in tables.items():
            tracker.log_table(f"fidelity{fidelity_suffix(space, names)}", table)
        tracker.log_metrics(metrics)

    output_dir.mkdir(parents=True, exist_ok=True)
    trained_on = "+".join(names)
    for space, table in tables.items():
        suffix = fidelity_suffix(space, names)
        atomic_write(output_dir / f"fidelity{suffix}.csv", lambda tmp: table.to_csv(tmp))
        title = f"{space} held out\nencoder of {trained_on} ({cfg.model.loss}, tf_weight {cfg.model.tf_weight})"
        save_figure(fidelity_figure(learned[space], test_sets[space].distances, title=title),
                    output_dir / f"fidelity{suffix}.png")
        log.info("test fidelity on held-out architectures of %s:\n%s", space, table.round(4))
    atomic_write(output_dir / "metrics.json", lambda tmp: tmp.write_text(json.dumps(metrics, indent=2) + "\n"))
    OmegaConf.save(cfg, output_dir / "config.yaml", resolve=True)
    log.info("outputs: %s", output_dir)
    return metrics


def _trainable(space, cfg: DictConfig):
    """The space, or a uniform sample of its cells (``cfg.sample``) when it is too large to list."""
    return space if space.enumerable else SpaceSample.drawn(space, cfg.sample, random_state=cfg.seed)


@hydra.main(version_base="1.3", config_path="configs", config_name="train")
def main(cfg: DictConfig) -> None:
    run_cli(run, cfg)


if __name__ == "__main__":
    main()
