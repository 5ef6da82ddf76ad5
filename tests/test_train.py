"""train.py through Hydra's compose API: the configs compose, run(cfg) trains and writes the run directory."""

import json

import numpy as np
import pandas as pd
import pytest
import pytorch_lightning as pl
from hydra import compose, initialize_config_dir

from cbred.learned.distance import LearnedDistance, load_encoder
from cbred.paths import PROJECT_ROOT
from train import run

CONFIGS = str(PROJECT_ROOT / "configs")
TINY = [
    "logger=none",
    "datamodule.n_anchors=30",
    "datamodule.n_mutations=2",
    "datamodule.n_random=2",
    "datamodule.val_fidelity=[4,20]",
    "datamodule.test_fidelity=[4,20]",
    "datamodule.batch_size=10",
    "datamodule.progress=false",
    "encoder.hidden_channels=16",
    "encoder.out_channels=8",
    "encoder.num_layers=2",
    "trainer.max_epochs=2",
    "trainer.enable_progress_bar=false",
    "trainer.enable_model_summary=false",
]


def _compose(*overrides):
    with initialize_config_dir(config_dir=CONFIGS, version_base="1.3"):
        return compose("train", overrides=list(overrides))


def test_default_config_composes():
    cfg = _compose("output_dir=unused")
    assert cfg.space._target_.endswith("EdgeCellSpace") and cfg.space.name == "nb201" and cfg.device == "auto"
    assert cfg.datamodule.target._target_.endswith("GraphEditDistance") and cfg.datamodule.target.method == "exact"
    assert cfg.logger._target_ == "cbred.tracking.WandbTracker" and cfg.trainer.accelerator == "auto"
    assert cfg.callbacks.model_checkpoint.monitor == "val/spearman" == cfg.callbacks.early_stopping.monitor
    assert set(cfg.reference) == {"hellinger", "jensen_shannon", "sym_kl"}
    assert _compose("space=nb101", "output_dir=unused").space.name == "nb101"


@pytest.mark.slow
def test_tiny_run_writes_checkpoint_fidelity_and_export(tmp_path):
    export = tmp_path / "encoder.ckpt"
    cfg = _compose(*TINY, f"output_dir={tmp_path / 'run'}", f"export={export}")
    metrics = run(cfg)

    run_dir = tmp_path / "run"
    assert json.loads((run_dir / "metrics.json").read_text()) == pytest.approx(metrics)
    assert (run_dir / "config.yaml").exists() and (run_dir / "checkpoints" / "best.ckpt").exists()
    table = pd.read_csv(run_dir / "fidelity.csv", index_col="distance")
    assert list(table.index) == ["learned", "hellinger", "jensen_shannon", "sym_kl"]
    assert list(table.columns) == ["spearman", "recall@10", "pearson"]
    assert table.loc["learned", "spearman"] == pytest.approx(metrics["test/spearman"], abs=1e-5)
    assert -1 <= metrics["test/spearman"] <= 1 and 0 <= metrics["test/recall@10"] <= 1
    assert metrics["n_train_pairs"] == 30 * 4 and metrics["epochs"] >= 1
    assert (run_dir / "fidelity.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    # the export is what distance=learned reads: same embeddings as the full checkpoint, smaller
    assert export.stat().st_size < (run_dir / "checkpoints" / "best.ckpt").stat().st_size
    assert load_encoder(export).space == "nb201"
    from cbred.spaces.nb201 import NB201Space

    graphs = NB201Space().graphs(NB201Space().ids[:64])
    np.testing.assert_array_equal(
        LearnedDistance(checkpoint=export, cache=False).embed(graphs),
        LearnedDistance(checkpoint=metrics["best_checkpoint"], cache=False).embed(graphs),
    )


def test_holdout_leaving_no_training_split_is_one_clear_error(tmp_path):
    cfg = _compose(*TINY, f"output_dir={tmp_path}", "datamodule.holdout.val=0.6", "datamodule.holdout.test=0.4")
    with pytest.raises(ValueError, match="leave no training split"):
        run(cfg)


@pytest.mark.slow
def test_tiny_run_with_both_objectives_the_tf_head_and_a_union_vocabulary(tmp_path):
    cfg = _compose(
        *TINY, f"output_dir={tmp_path / 'run'}", "model.loss=both", "model.loss_weights.contrastive=0.5",
        "model.tf_weight=1.0", "datamodule.tf_statistics=[synflow,naswot_v1]", "features.spaces=[nb101]",
        "~reference",
    )
    metrics = run(cfg)
    assert -1 <= metrics["test/spearman"] <= 1
    encoder = load_encoder(metrics["best_checkpoint"])
    assert "conv3x3-bn-relu" in encoder.featurizer.vocab  # reads NB101 cells too
    from cbred.spaces.nb201 import NB201Space

    assert LearnedDistance(checkpoint=metrics["best_checkpoint"], cache=False).embed(
        NB201Space().graphs(NB201Space().ids[:8])
    ).shape == (8, 8)


@pytest.mark.slow
def test_tiny_joint_run_of_two_spaces_reports_each_and_reads_both(tmp_path):
    cfg = _compose(*TINY, f"output_dir={tmp_path / 'run'}", "+space@joint.tnb101_micro=tnb101_micro",
                   "~reference.sym_kl", "~reference.jensen_shannon")
    metrics = run(cfg)
    run_dir = tmp_path / "run"
    own = pd.read_csv(run_dir / "fidelity.csv", index_col="distance")
    other = pd.read_csv(run_dir / "fidelity_tnb101_micro.csv", index_col="distance")
    assert list(own.index) == list(other.index) == ["learned", "hellinger"]
    assert own.loc["learned", "spearman"] == pytest.approx(metrics["test/nb201/spearman"], abs=1e-5)
    assert other.loc["learned", "spearman"] == pytest.approx(metrics["test/tnb101_micro/spearman"], abs=1e-5)
    # the plain metric is the mean over the spaces (equal numbers of queries)
    assert metrics["test/spearman"] == pytest.approx(
        (metrics["test/nb201/spearman"] + metrics["test/tnb101_micro/spearman"]) / 2, abs=1e-5)
    assert metrics["reference/tnb101_micro/hellinger/spearman"] == pytest.approx(other.loc["hellinger", "spearman"])
    assert metrics["reference/nb201/hellinger/spearman"] == pytest.approx(own.loc["hellinger", "spearman"])
    assert metrics["n_train_pairs"] == 2 * 30 * 4
    assert (run_dir / "fidelity_tnb101_micro.png").read_bytes()[:4] == b"\x89PNG"
    encoder = load_encoder(metrics["best_checkpoint"])
    assert encoder.space == "nb201+tnb101_micro"
    from cbred.spaces.builtin import BUILTIN_SPACES

    micro = BUILTIN_SPACES["tnb101_micro"]()
    assert LearnedDistance(checkpoint=metrics["best_checkpoint"], cache=False).embed(
        micro.graphs(list(micro.ids[:5]))).shape == (5, 8)


def test_a_space_named_twice_in_a_joint_run_is_refused(tmp_path):
    with pytest.raises(ValueError, match="joint names a space twice"):
        run(_compose(*TINY, f"output_dir={tmp_path}", "+space@joint.nb201=nb201"))


class EpochRecorder(pl.Callback):
    """Records (epoch, global step) where a fit starts each epoch; raises at epoch ``kill_at`` as a kill would stop it."""

    started: list[tuple[int, int]] = []

    def __init__(self, kill_at: int | None = None):
        self.kill_at = kill_at

    def on_train_epoch_start(self, trainer, pl_module):
        EpochRecorder.started.append((trainer.current_epoch, trainer.global_step))
        if trainer.current_epoch == self.kill_at:
            raise RuntimeError("killed")


@pytest.mark.slow  # two tiny trainings
def test_a_killed_run_rerun_in_its_directory_continues_and_ends_as_an_uninterrupted_one(tmp_path):
    tiny = [*TINY, "trainer.max_epochs=3", "~reference",
            "+callbacks.recorder._target_=tests.test_train.EpochRecorder"]
    whole = run(_compose(*tiny, f"output_dir={tmp_path / 'whole'}"))

    EpochRecorder.started.clear()
    with pytest.raises(RuntimeError, match="killed"):
        run(_compose(*tiny, f"output_dir={tmp_path / 'killed'}", "+callbacks.recorder.kill_at=2"))
    assert EpochRecorder.started == [(0, 0), (1, 3), (2, 6)] and (tmp_path / "killed" / "checkpoints" / "last.ckpt").exists()

    EpochRecorder.started.clear()
    resumed = run(_compose(*tiny, f"output_dir={tmp_path / 'killed'}"))
    assert EpochRecorder.started == [(2, 6)]  # from last.ckpt: epochs 0 and 1 are not trained again
    assert (resumed["epochs"], resumed["steps"]) == (whole["epochs"], whole["steps"]) == (3, 9)
    assert resumed["best_checkpoint"].endswith("best.ckpt")  # the best of all epochs, not the last
    # every epoch's batches depend on (seed, epoch) alone: the resumed run trained as the whole one did
    import torch

    def weights(run_dir):
        return torch.load(run_dir / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=False)["state_dict"]

    for name, value in weights(tmp_path / "whole").items():
        torch.testing.assert_close(weights(tmp_path / "killed")[name], value, rtol=0, atol=0, msg=name)

    EpochRecorder.started.clear()  # resume=null: from scratch even where a last checkpoint exists
    run(_compose(*tiny, f"output_dir={tmp_path / 'killed'}", "resume=null"))
    assert EpochRecorder.started == [(0, 0), (1, 3), (2, 6)]
