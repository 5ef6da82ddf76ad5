"""W&B tracking: real offline runs written to a temp dir and read back (wandb is not mocked)."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import wandb
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate
from omegaconf import OmegaConf

from cbred.paths import PROJECT_ROOT
from cbred.tracking import NullTracker, WandbTracker, flatten_config, run_config, start_tracking
from cbred.viz import save_figure, stability_curve

CONFIGS = PROJECT_ROOT / "configs"


def read_wandb_log(path: Path) -> list:
    """Records of a ``.wandb`` transaction log (wandb's protobuf ``Record`` messages).

    The file is a 7-byte W&B header then LevelDB-log blocks of 32 KiB: every chunk has a
    7-byte header (crc32, little-endian uint16 length, type: 1 full, 2 first, 3 middle,
    4 last) and a record may span chunks; block tails under 7 bytes are padding.
    """
    from wandb.proto import wandb_internal_pb2

    data = path.read_bytes()
    assert data[:4] == b":W&B"
    records, pending, pos, block = [], b"", 7, 32768
    while pos + 7 <= len(data):
        if block - pos % block < 7:
            pos += block - pos % block
            continue
        _, length, kind = struct.unpack("<IHB", data[pos:pos + 7])
        pending += data[pos + 7:pos + 7 + length]
        pos += 7 + length
        if kind in (1, 4):
            record = wandb_internal_pb2.Record()
            record.ParseFromString(pending)
            records.append(record)
            pending = b""
    return records


def read_offline_run(run_dir: Path) -> dict:
    """Config, summary, history keys, group, job type and tags of one offline run directory."""
    (log,) = run_dir.glob("run-*.wandb")
    run = {"config": {}, "summary": {}, "history": set()}
    for record in read_wandb_log(log):
        kind = record.WhichOneof("record_type")
        if kind == "run":
            run.update(group=record.run.run_group, job_type=record.run.job_type,
                       name=record.run.display_name, project=record.run.project, tags=list(record.run.tags))
            run["config"].update({item.key: json.loads(item.value_json)
                                  for item in record.run.config.update})
        elif kind == "summary":
            for item in record.summary.update:
                key = item.key or "/".join(item.nested_key)
                run["summary"][key] = json.loads(item.value_json)
        elif kind == "history":
            run["history"] |= {item.key or "/".join(item.nested_key) for item in record.history.item}
    return run


@pytest.fixture
def offline(monkeypatch, tmp_path):
    """W&B offline into tmp_path (tests/conftest.py disables W&B by default)."""
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_DIR", str(tmp_path))
    return tmp_path


def test_flatten_config_resolves_and_joins_keys():
    cfg = OmegaConf.create({"seed": 3, "distance": {"_target_": "cbred.D", "eta": "${seed}"},
                            "ks": [2, 4], "empty": {}})
    assert flatten_config(cfg) == {"seed": 3, "distance/_target_": "cbred.D", "distance/eta": 3,
                                   "ks": [2, 4], "empty": {}}


def test_logger_groups_compose():
    with initialize_config_dir(str(CONFIGS), version_base="1.3"):
        wandb_cfg = compose("logger/wandb")
        none_cfg = compose("logger/none")
    tracker = instantiate(wandb_cfg.logger)
    assert isinstance(tracker, WandbTracker)
    assert (tracker.project, tracker.group, tracker.mode) == ("cbred", None, None)
    assert type(instantiate(none_cfg.logger)) is NullTracker


def test_no_logger_records_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cfg = OmegaConf.create({"seed": 0, "logger": {"_target_": "cbred.tracking.NullTracker"}})
    with start_tracking(cfg, job_type="reduce") as tracker:
        tracker.log_metrics({"n_archs": 1})
        tracker.log_table("clusters", pd.DataFrame({"cluster": [0]}))
        assert tracker.lightning_logger() is False
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_offline_run_holds_config_metrics_table_and_images(offline):
    png = save_figure(stability_curve(pd.DataFrame({"n_clusters": [2, 3], "mean": [0.9, 0.7]})),
                      offline / "stability.png")
    clusters = pd.DataFrame({"cluster": [0, 1, 1], "nwot": [1.5, 2.5, 3.0]},
                            index=pd.Index(["a", "b", "c"], name="arch"))
    cfg = OmegaConf.create({
        "seed": 7,
        "distance": {"_target_": "cbred.distances.Hellinger", "eta": 0.5},
        "logger": {"_target_": "cbred.tracking.WandbTracker", "project": "cbred-test",
                   "group": "grid-1", "dir": str(offline)},
    })
    with start_tracking(cfg, job_type="reduce") as tracker:
        tracker.log_metrics({"n_archs": 3, "stability": 0.75, "selected/acc_mean": 91.5})
        tracker.log_table("clusters", clusters)
        tracker.log_images({"stability": png})
        tracker.lightning_logger().log_metrics({"train/loss": 0.25}, step=0)
    # finish() returns before wandb-core has flushed the transaction log (the process exit
    # flushes it); shutting the service down waits for it
    wandb.teardown()

    (run_dir,) = (offline / "wandb").glob("offline-run-*")
    run = read_offline_run(run_dir)
    assert (run["project"], run["group"], run["job_type"]) == ("cbred-test", "grid-1", "reduce")
    assert run["config"]["seed"] == 7
    assert run["config"]["distance/_target_"] == "cbred.distances.Hellinger"
    assert run["config"]["distance/eta"] == 0.5
    assert run["config"]["logger/project"] == "cbred-test"
    assert run["config"]["family"] == "handcrafted" and "handcrafted" in run["tags"]
    assert run["summary"]["n_archs"] == 3
    assert run["summary"]["stability"] == 0.75
    assert run["summary"]["selected/acc_mean"] == 91.5
    assert {"clusters/_type", "plots/stability/_type", "train/loss"} <= run["history"]

    (table,) = (run_dir / "files/media/table").glob("clusters_*.table.json")
    logged = json.loads(table.read_text())
    assert logged["columns"] == ["arch", "cluster", "nwot"]
    assert logged["data"] == [["a", 0, 1.5], ["b", 1, 2.5], ["c", 1, 3.0]]
    (image,) = (run_dir / "files/media/images/plots").glob("stability_*.png")
    assert image.read_bytes() == png.read_bytes()


def test_disabled_mode_accepts_every_call_and_reports_missing_images(offline):
    """WANDB_MODE=disabled (what the test suite sets) must not break the entry points."""
    tracker = WandbTracker(dir=offline, mode="disabled").start({"seed": 0}, job_type="reduce")
    tracker.log_metrics({"n_archs": 3})
    tracker.log_table("clusters", pd.DataFrame({"cluster": [0, 1]}))
    with pytest.raises(FileNotFoundError, match="nowhere.png"):
        tracker.log_images({"x": offline / "nowhere.png"})
    tracker.finish()
    tracker.finish()  # twice is fine
    assert not (offline / "wandb").exists()


APP = """
import hydra
from cbred.tracking import start_tracking

@hydra.main(version_base="1.3", config_path=".", config_name="app")
def main(cfg):
    with start_tracking(cfg, job_type="reduce") as tracker:
        tracker.log_metrics({{"seed": cfg.seed}})

main()
"""

APP_CONFIG = """
defaults:
  - logger: wandb
  - _self_
seed: 0
hydra:
  searchpath: [file://{configs}]
"""


@pytest.mark.slow
def test_multirun_shares_one_group(offline):
    (offline / "app.py").write_text(textwrap.dedent(APP.format()))
    (offline / "app.yaml").write_text(APP_CONFIG.format(configs=CONFIGS))
    sweep = offline / "sweep"
    subprocess.run([sys.executable, "app.py", "-m", "seed=0,1", f"hydra.sweep.dir={sweep}"],
                   cwd=offline, check=True, capture_output=True)
    runs = [read_offline_run(d) for d in sorted(sweep.glob("*/wandb/offline-run-*"))]
    assert len(runs) == 2
    assert {run["group"] for run in runs} == {str(sweep)}
    assert sorted(run["name"] for run in runs) == ["seed=0", "seed=1"]
    assert sorted(run["summary"]["seed"] for run in runs) == [0, 1]
    assert all(run["config"]["choice/logger"] == "wandb" for run in runs)


def test_wandb_files_stay_inside_the_run_directory(offline, monkeypatch):
    home = offline / "home"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    for variable in ("WANDB_DATA_DIR", "WANDB_CACHE_DIR", "WANDB_ARTIFACT_DIR"):
        monkeypatch.delenv(variable, raising=False)
    run_dir = offline / "run"
    cfg = OmegaConf.create({"logger": {"_target_": "cbred.tracking.WandbTracker", "project": "cbred-test",
                                       "dir": str(run_dir)}})
    with start_tracking(cfg, job_type="reduce") as tracker:
        tracker.log_table("clusters", pd.DataFrame({"cluster": np.arange(50)}))
    wandb.teardown()
    staged = list((run_dir / "wandb" / "data" / "artifacts" / "staging").glob("*"))
    assert staged  # the offline run keeps its staged table for `wandb sync`, in the run dir
    assert not (home / ".local" / "share" / "wandb").exists()
    assert "WANDB_DATA_DIR" not in os.environ  # restored after the run


def _artifacts(run_dir: Path) -> dict:
    """Artifacts of an offline run: name -> (type, {path in the artifact: staged local copy})."""
    found = {}
    for record in read_wandb_log(next(run_dir.glob("run-*.wandb"))):
        if record.WhichOneof("record_type") == "artifact":
            artifact = record.artifact
            found[artifact.name] = (artifact.type, {entry.path: entry.local_path for entry in artifact.manifest.contents})
    return found


@pytest.mark.slow
def test_long_tables_are_logged_complete_and_files_as_artifacts(offline, monkeypatch):
    monkeypatch.setattr(wandb.Table, "MAX_ROWS", 5)  # W&B's run page cut (10,000 rows), scaled down
    long = pd.DataFrame({"cluster": np.arange(12)}, index=pd.Index([f"a{i}" for i in range(12)], name="arch"))
    selected = offline / "selected.csv"
    long.to_csv(selected)
    tracker = WandbTracker(dir=offline, project="cbred-test").start({"seed": 0}, job_type="reduce")
    with pytest.warns(UserWarning, match=r"table 'clusters' \(12 rows\) is logged complete in artifact"):
        tracker.log_table("clusters", long)
    tracker.log_table("evaluation", long.iloc[:3])
    tracker.log_artifact("selection", "dataset", [selected])
    with pytest.raises(FileNotFoundError, match="nowhere.ckpt"):
        tracker.log_artifact("encoder", "model", [offline / "nowhere.ckpt"])
    run_id = tracker.run_.id
    tracker.finish()
    wandb.teardown()
    (run_dir,) = (offline / "wandb").glob("offline-run-*")
    artifacts = _artifacts(run_dir)
    assert artifacts["selection"][0] == "dataset" and "selected.csv" in artifacts["selection"][1]
    kind, files = artifacts[f"{run_id}-clusters"]
    assert kind == "table"
    logged = json.loads(Path(files["clusters.table.json"]).read_text())
    assert len(logged["data"]) == 12  # all the rows, not the first 5
    history = read_offline_run(run_dir)["history"]
    assert "evaluation/_type" in history and "clusters/_type" not in history


def test_csv_logger_writes_plain_files(tmp_path):
    with initialize_config_dir(str(CONFIGS), version_base="1.3"):
        cfg = compose("logger/csv")
    tracker = instantiate(cfg.logger, dir=str(tmp_path))
    selected = tmp_path / "selected.csv"
    selected.write_text("arch\na\n")
    with tracker.start({"seed": 1, "distance": {"eta": 0.5}}, job_type="reduce"):
        tracker.log_metrics({"n_archs": 3, "selected/acc_mean": 91.5})
        tracker.log_table("clusters", pd.DataFrame({"cluster": [0, 1]}, index=pd.Index(["a", "b"], name="arch")))
        tracker.log_artifact("selection", "dataset", [selected])
        assert tracker.lightning_logger().save_dir == str(tmp_path / "csv")
    root = tmp_path / "csv"
    config = json.loads((root / "config.json").read_text())
    assert config["distance/eta"] == 0.5 and "family" not in config  # a distance without a _target_
    metrics = pd.read_csv(root / "metrics.csv")
    assert dict(zip(metrics["key"], metrics["value"])) == {"n_archs": 3, "selected/acc_mean": 91.5}
    assert pd.read_csv(root / "clusters.csv", index_col="arch")["cluster"].tolist() == [0, 1]
    assert (root / "artifacts" / "selection" / "selected.csv").read_text() == "arch\na\n"


@pytest.mark.parametrize("target, family", [("cbred.learned.distance.LearnedDistance", "learned"),
                                            ("cbred.distances.transformation.GraphEditDistance", "handcrafted")])
def test_the_run_config_names_the_family_of_its_distance(target, family):
    config = run_config(OmegaConf.create({"seed": 0, "distance": {"_target_": target}}))
    assert config["family"] == family and config["distance/_target_"] == target
    assert "family" not in run_config({"seed": 0})
