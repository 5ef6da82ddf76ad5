import os
import pickle

import numpy as np
import pytest
import torch

from cbred.tfstats.images import CIFAR10_MEAN, Cifar10Directory, GaussianImages, ImageBatch, NpzImages
from tests.conftest import reference


@pytest.fixture
def npz(tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "images.npz"
    np.savez(path, x_train=rng.integers(0, 256, (20, 3, 8, 8), dtype=np.uint8), y_train=np.arange(20) % 10)
    return path


def test_npz_batches_are_seeded_normalised_and_resized(npz):
    source = NpzImages(npz, resolution=4)
    batch = source.sample(6, seed=3)
    assert isinstance(batch, ImageBatch) and len(batch) == 6
    assert batch.inputs.shape == (6, 3, 4, 4) and batch.inputs.dtype == torch.float32
    assert batch.targets.dtype == torch.int64
    assert torch.equal(batch.inputs, source.sample(6, seed=3).inputs)
    assert not torch.equal(batch.inputs, source.sample(6, seed=4).inputs)
    full = NpzImages(npz).sample(20, seed=0)
    # all images drawn: the mean of the normalised red channel is (mean/255 - m) / s
    raw = np.load(npz)["x_train"][:, 0].mean() / 255
    expected = (raw - CIFAR10_MEAN[0]) / 0.2470
    assert full.inputs[:, 0].mean().item() == pytest.approx(expected, abs=1e-5)
    assert source.shape == (3, 4, 4)
    assert source.describe()["kind"] == "npz" and len(source.describe()["sha256"]) == 16


@pytest.mark.data
def test_cifar10_sample_file():
    source = NpzImages(reference("cifar10_sample.npz"))
    batch = source.sample(64, seed=0)
    assert batch.inputs.shape == (64, 3, 32, 32)
    assert set(batch.targets.tolist()) <= set(range(10))
    assert abs(batch.inputs.mean().item()) < 0.5  # normalised


def test_npz_without_images_lists_its_arrays(tmp_path):
    path = tmp_path / "labels_only.npz"
    np.savez(path, y_train=np.zeros(3), other=np.ones(2))
    with pytest.raises(ValueError, match=r"no array 'x_train' \(arrays in the file: y_train, other\)"):
        NpzImages(path)


@pytest.mark.parametrize("shape", [(4, 8, 8, 3), (4, 8, 8), (4, 5, 8, 8)])
def test_wrong_image_shape_is_a_clear_error(tmp_path, shape):
    path = tmp_path / "bad.npz"
    np.savez(path, x_train=np.zeros(shape, np.uint8), y_train=np.zeros(4))
    with pytest.raises(ValueError, match=r"must have shape \(N, C, H, W\)"):
        NpzImages(path)


def test_mismatched_labels_missing_file_and_oversized_batch(tmp_path, npz):
    path = tmp_path / "labels.npz"
    np.savez(path, x_train=np.zeros((4, 3, 2, 2), np.uint8), y_train=np.zeros(3))
    with pytest.raises(ValueError, match="4 images but labels of shape"):
        NpzImages(path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        NpzImages(tmp_path / "absent.npz")
    with pytest.raises(ValueError, match="only 20 images"):
        NpzImages(npz).sample(21, seed=0)


def test_cifar10_directory(tmp_path):
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        batch = {"data": rng.integers(0, 256, (4, 3072), dtype=np.uint8), "labels": [1, 2, 3, 4]}
        with open(folder / name, "wb") as handle:
            pickle.dump(batch, handle)
    train = Cifar10Directory(tmp_path)
    assert len(train.images) == 20 and train.sample(5, 0).inputs.shape == (5, 3, 32, 32)
    assert len(Cifar10Directory(folder, split="test").images) == 4
    (folder / "test_batch").unlink()
    with pytest.raises(FileNotFoundError, match="lacks test_batch"):
        Cifar10Directory(folder, split="test")
    with pytest.raises(ValueError, match="choices: train, test"):
        Cifar10Directory(folder, split="valid")


def test_gaussian_images():
    source = GaussianImages(channels=1, resolution=3, num_classes=4)
    batch = source.sample(1000, seed=1)
    assert batch.inputs.shape == (1000, 1, 3, 3)
    assert abs(batch.inputs.std().item() - 1) < 0.05
    assert set(batch.targets.tolist()) == {0, 1, 2, 3}
    assert torch.equal(batch.inputs, source.sample(1000, seed=1).inputs)
    assert source.describe() == {"kind": "gaussian", "channels": 1, "resolution": 3, "num_classes": 4}
    with pytest.raises(ValueError, match="resolution"):
        GaussianImages(resolution=0)


class _Planted:
    def __reduce__(self):
        return (os.system, ("touch PWNED",))


def test_a_planted_pickle_in_a_cifar10_folder_runs_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    with open(folder / "test_batch", "wb") as handle:
        pickle.dump({"data": _Planted(), "labels": [1]}, handle)
    with pytest.raises(ValueError, match="test_batch is not a CIFAR-10 batch file: refers to .*system"):
        Cifar10Directory(tmp_path, split="test")
    assert not (tmp_path / "PWNED").exists()
    with open(folder / "test_batch", "wb") as handle:
        pickle.dump([1, 2], handle)
    with pytest.raises(ValueError, match="expected a dict with 'data' and 'labels'"):
        Cifar10Directory(tmp_path, split="test")
