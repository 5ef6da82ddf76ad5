"""Input batches for training-free statistics: real images or synthetic Gaussian inputs.

An :class:`ImageSource` draws seeded batches (:class:`ImageBatch`: float images and integer
labels) and describes itself (:meth:`ImageSource.describe`), so that the source of every
table of statistics is recorded with it and is part of its cache key.

- :class:`NpzImages`: images stored in an ``.npz`` file (e.g. ``cifar10_sample.npz``),
- :class:`Cifar10Directory`: the python version of CIFAR-10 (``cifar-10-batches-py``),
  read by a restricted unpickler that resolves nothing but numpy arrays
  (:func:`read_cifar10_batch`: a planted pickle cannot run code),
- :class:`GaussianImages`: standard-normal images with uniform random labels.

Real images are scaled to [0, 1] and normalised with the CIFAR-10 channel statistics, as
in the benchmarks' training pipelines; ``resolution`` resizes them (area interpolation)
for cheaper proxy networks.
"""

from __future__ import annotations

import abc
import hashlib
import pickle
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

#: CIFAR-10 per-channel mean and standard deviation of [0, 1] pixels.
CIFAR10_MEAN = (0.4914, 0.4822, 0.4465)
CIFAR10_STD = (0.2470, 0.2435, 0.2616)


class ImageBatch(NamedTuple):
    """A batch of inputs.

    Shapes
    ------
    - inputs: ``(B, C, H, W)`` float32
    - targets: ``(B,)`` int64 class labels
    """

    inputs: Tensor
    targets: Tensor

    def to(self, device: torch.device | str) -> ImageBatch:
        return ImageBatch(self.inputs.to(device), self.targets.to(device))

    def __len__(self) -> int:  # the batch size, not the tuple's length
        return int(self.inputs.shape[0])


class ImageSource(abc.ABC):
    """Where input batches come from.

    Parameters
    ----------
    resolution : int, optional
        Resize images to ``resolution x resolution`` (default: keep their size).
    """

    def __init__(self, resolution: int | None = None) -> None:
        if resolution is not None and (not isinstance(resolution, int) or resolution < 1):
            raise ValueError(f"resolution must be a positive integer or None, got {resolution!r}")
        self.resolution = resolution

    @abc.abstractmethod
    def sample(self, batch_size: int, seed: int) -> ImageBatch:
        """A batch of ``batch_size`` inputs, the same for the same ``seed``."""

    @abc.abstractmethod
    def describe(self) -> dict[str, Any]:
        """JSON-serialisable description of the source (recorded with results, cache key)."""

    @property
    @abc.abstractmethod
    def shape(self) -> tuple[int, int, int]:
        """``(C, H, W)`` of one input as returned by :meth:`sample`."""

    def _resize(self, images: Tensor) -> Tensor:
        if self.resolution is None or images.shape[-1] == self.resolution == images.shape[-2]:
            return images
        return F.interpolate(images, size=(self.resolution, self.resolution), mode="area")


class _ArrayImages(ImageSource):
    """Images held in memory as a uint8 ``(N, C, H, W)`` array, with labels."""

    images: np.ndarray
    labels: np.ndarray

    def _validate(self, images: np.ndarray, labels: np.ndarray | None, origin: str) -> None:
        if images.ndim != 4 or images.shape[1] not in (1, 3):
            raise ValueError(
                f"{origin}: images must have shape (N, C, H, W) with C = 1 or 3 channels "
                f"(channels first), got shape {images.shape}"
            )
        if len(images) == 0:
            raise ValueError(f"{origin}: no images")
        if labels is not None and labels.shape != (len(images),):
            raise ValueError(
                f"{origin}: {len(images)} images but labels of shape {labels.shape}"
            )
        self.images = images
        self.labels = (
            np.zeros(len(images), dtype=np.int64) if labels is None else labels.astype(np.int64)
        )

    @property
    def shape(self) -> tuple[int, int, int]:
        c, h, w = self.images.shape[1:]
        size = (self.resolution, self.resolution) if self.resolution else (h, w)
        return (c, *size)

    def sample(self, batch_size: int, seed: int) -> ImageBatch:
        if batch_size > len(self.images):
            raise ValueError(
                f"{self.describe()['kind']}: batch of {batch_size} requested but only "
                f"{len(self.images)} images available"
            )
        generator = torch.Generator().manual_seed(int(seed))
        index = torch.randperm(len(self.images), generator=generator)[:batch_size].numpy()
        pixels = torch.from_numpy(self.images[np.sort(index)]).float()
        if self.images.dtype == np.uint8:
            pixels = pixels / 255.0
        channels = pixels.shape[1]
        mean = torch.tensor(CIFAR10_MEAN[:channels]).view(1, -1, 1, 1)
        std = torch.tensor(CIFAR10_STD[:channels]).view(1, -1, 1, 1)
        inputs = self._resize((pixels - mean) / std)
        return ImageBatch(inputs.contiguous(), torch.from_numpy(self.labels[np.sort(index)]))


class NpzImages(_ArrayImages):
    """Images from an ``.npz`` file.

    Parameters
    ----------
    path : str or Path
    images_key : str, default="x_train"
        Array of images, uint8 in [0, 255] (or float already in [0, 1]), shape
        ``(N, C, H, W)``.
    labels_key : str or None, default="y_train"
        Array of integer labels (``None``: labels are all 0).
    resolution : int, optional

    Raises
    ------
    FileNotFoundError, ValueError
        Missing file; missing key (listing the file's arrays); wrong image shape.
    """

    def __init__(
        self,
        path: str | Path,
        images_key: str = "x_train",
        labels_key: str | None = "y_train",
        resolution: int | None = None,
    ) -> None:
        super().__init__(resolution)
        self.path = Path(path)
        if not self.path.exists():
            raise FileNotFoundError(f"image file {self.path} does not exist")
        with np.load(self.path) as data:
            keys = list(data.keys())
            for key in (images_key, labels_key):
                if key is not None and key not in keys:
                    raise ValueError(
                        f"{self.path}: no array {key!r} (arrays in the file: {', '.join(keys) or 'none'})"
                    )
            images = data[images_key]
            labels = data[labels_key] if labels_key is not None else None
        self.images_key, self.labels_key = images_key, labels_key
        self._validate(images, labels, f"{self.path}[{images_key!r}]")
        self._digest = hashlib.sha256(self.images.tobytes()).hexdigest()[:16]

    def describe(self) -> dict[str, Any]:
        return {
            "kind": "npz",
            "file": self.path.name,
            "images_key": self.images_key,
            "n_images": len(self.images),
            "sha256": self._digest,
            "resolution": self.resolution,
        }


#: The only globals a CIFAR-10 batch file refers to: numpy's array reconstruction (and the
#: byte-string helper of protocol-2 pickles). Nothing else is ever called while reading.
_CIFAR10_GLOBALS = frozenset(
    {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy.core.numeric", "_frombuffer"),
        ("numpy._core.numeric", "_frombuffer"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("_codecs", "encode"),
    }
)


class _ArraysOnlyUnpickler(pickle.Unpickler):
    """Reads dicts, lists, numbers, strings and numpy arrays; refuses any other global."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _CIFAR10_GLOBALS:
            raise pickle.UnpicklingError(f"refers to {module}.{name}, which a CIFAR-10 batch never does")
        return super().find_class(module, name)


def read_cifar10_batch(path: str | Path) -> dict:
    """One batch file of the python version of CIFAR-10, without running code from it.

    The files are pickles; a pickle can run any function it names. This reader only
    resolves numpy's array reconstruction, so a planted file cannot execute anything.

    Raises
    ------
    ValueError
        Naming the file, when it refers to anything else or is not a batch (a dict with
        ``data`` and ``labels``).
    """
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            batch = _ArraysOnlyUnpickler(handle, encoding="latin1").load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError) as error:
        raise ValueError(f"{path} is not a CIFAR-10 batch file: {error}") from None
    if not isinstance(batch, dict) or not {"data", "labels"} <= set(batch):
        raise ValueError(f"{path} is not a CIFAR-10 batch file: expected a dict with 'data' and 'labels'")
    return batch


class Cifar10Directory(_ArrayImages):
    """The python version of CIFAR-10 (``data_batch_1`` ... ``data_batch_5``, ``test_batch``).

    Parameters
    ----------
    root : str or Path
        ``cifar-10-batches-py`` or a directory that contains it.
    split : {"train", "test"}, default="train"
    resolution : int, optional
    """

    SPLITS = {"train": tuple(f"data_batch_{i}" for i in range(1, 6)), "test": ("test_batch",)}

    def __init__(self, root: str | Path, split: str = "train", resolution: int | None = None) -> None:
        super().__init__(resolution)
        if split not in self.SPLITS:
            raise ValueError(f"CIFAR-10 split {split!r} unknown (choices: {', '.join(self.SPLITS)})")
        root = Path(root)
        if (root / "cifar-10-batches-py").is_dir():
            root = root / "cifar-10-batches-py"
        files = [root / name for name in self.SPLITS[split]]
        missing = [f.name for f in files if not f.exists()]
        if missing:
            raise FileNotFoundError(f"CIFAR-10 directory {root} lacks {', '.join(missing)}")
        images, labels = [], []
        for file in files:
            batch = read_cifar10_batch(file)
            images.append(np.asarray(batch["data"], dtype=np.uint8).reshape(-1, 3, 32, 32))
            labels.append(np.asarray(batch["labels"]))
        self.root, self.split = root, split
        self._validate(np.concatenate(images), np.concatenate(labels), str(root))

    def describe(self) -> dict[str, Any]:
        return {
            "kind": "cifar10",
            "split": self.split,
            "n_images": len(self.images),
            "resolution": self.resolution,
        }


class GaussianImages(ImageSource):
    """Standard-normal inputs with uniformly random labels.

    Parameters
    ----------
    channels : int, default=3
    resolution : int, default=32
    num_classes : int, default=10
    """

    def __init__(self, channels: int = 3, resolution: int = 32, num_classes: int = 10) -> None:
        super().__init__(resolution)
        if not isinstance(channels, int) or channels < 1:
            raise ValueError(f"channels must be a positive integer, got {channels!r}")
        if not isinstance(num_classes, int) or num_classes < 1:
            raise ValueError(f"num_classes must be a positive integer, got {num_classes!r}")
        self.channels, self.num_classes = channels, num_classes

    @property
    def shape(self) -> tuple[int, int, int]:
        return (self.channels, self.resolution, self.resolution)

    def sample(self, batch_size: int, seed: int) -> ImageBatch:
        generator = torch.Generator().manual_seed(int(seed))
        inputs = torch.randn((batch_size, *self.shape), generator=generator)
        targets = torch.randint(self.num_classes, (batch_size,), generator=generator)
        return ImageBatch(inputs, targets)

    def describe(self) -> dict[str, Any]:
        return {
            "kind": "gaussian",
            "channels": self.channels,
            "resolution": self.resolution,
            "num_classes": self.num_classes,
        }
