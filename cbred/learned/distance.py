"""The learned distance: Euclidean (or cosine) distance between graph-encoder embeddings.

A :class:`~cbred.learned.encoder.GraphEncoder` trained by ``python train.py`` to
approximate the graph edit distance (:mod:`cbred.learned.metric_learner`) embeds every
graph; the distance is the Euclidean distance of the embeddings, so the pipeline
clusters the embedding itself (``is_euclidean``): no ``N x N`` matrix, all 423,624 NB101
cells included.

``distance=learned`` uses the packaged NB201 encoder (``cbred/resources/nb201_encoder.ckpt``,
made by ``python train.py export=cbred/resources/nb201_encoder.ckpt``);
``distance.checkpoint=PATH`` any checkpoint ``train.py`` wrote (``checkpoints/best.ckpt``
of a run, or an ``export``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from cbred.cache import atomic_write
from cbred.learned.featurizer import GraphFeaturizer
from cbred.device import resolve_device
from cbred.distances.base import Distance
from cbred.distances.pairwise import check_batches
from cbred.graph import GraphBatch
from cbred.learned.encoder import GraphEncoder
from cbred.paths import RESOURCES

#: The encoder ``distance=learned`` uses when no checkpoint is given.
DEFAULT_CHECKPOINT = RESOURCES / "nb201_encoder.ckpt"
#: ``metric`` choices: how embeddings are compared.
METRICS = ("euclidean", "cosine")
#: Hyper-parameters a checkpoint of :class:`~cbred.learned.metric_learner.MetricLearner` has.
_REQUIRED = ("space", "vocab", "max_depth", "encoder_config")


@dataclass(frozen=True)
class EncoderCheckpoint:
    """A trained encoder with what it was trained on.

    Attributes
    ----------
    encoder : GraphEncoder
        In evaluation mode, on the CPU.
    featurizer : GraphFeaturizer
        The node features it was trained with (vocabulary and depth clipping).
    space : str
        Name of the search space it was trained on.
    path : Path
    """

    encoder: GraphEncoder
    featurizer: GraphFeaturizer
    space: str
    path: Path


def load_encoder(path: str | Path) -> EncoderCheckpoint:
    """Read a checkpoint written by ``train.py`` (Lightning checkpoint or export).

    Raises
    ------
    FileNotFoundError
        When ``path`` does not exist.
    ValueError
        When the file is not a checkpoint of :class:`~cbred.learned.metric_learner.MetricLearner`,
        its weights do not fit its encoder configuration, or some are NaN or infinite.
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise FileNotFoundError(
            f"learned distance: checkpoint {str(path)!r} does not exist; train an encoder with "
            "`python train.py [space=...]` (its best checkpoint is <run dir>/checkpoints/best.ckpt) "
            "and pass distance.checkpoint=PATH"
        )
    try:
        content = torch.load(path, map_location="cpu", weights_only=True)
        hparams = dict(content["hyper_parameters"])
        state = content["state_dict"]
    except Exception as error:  # unpickling, format or key errors: not our checkpoint
        raise ValueError(
            f"learned distance: {str(path)!r} is not a checkpoint written by train.py ({error})"
        ) from None
    missing = [key for key in _REQUIRED if key not in hparams]
    if missing:
        raise ValueError(
            f"learned distance: checkpoint {str(path)!r} lacks the hyper-parameters {missing} "
            "of an encoder trained by train.py"
        )
    encoder = GraphEncoder(**hparams["encoder_config"])
    prefix = "encoder."
    try:
        encoder.load_state_dict({k[len(prefix) :]: v for k, v in state.items() if k.startswith(prefix)})
    except RuntimeError as error:
        raise ValueError(
            f"learned distance: the weights in {str(path)!r} do not fit its encoder_config ({error})"
        ) from None
    broken = [name for name, tensor in encoder.state_dict().items()
              if tensor.is_floating_point() and not torch.isfinite(tensor).all()]
    if broken:
        raise ValueError(
            f"learned distance: checkpoint {str(path)!r} has non-finite (NaN or inf) weights in "
            f"{len(broken)} tensor(s), e.g. {broken[:3]} (a diverged training run?); retrain the "
            "encoder with `python train.py` or pass another distance.checkpoint=PATH"
        )
    encoder.eval()
    featurizer = GraphFeaturizer(tuple(hparams["vocab"]), max_depth=int(hparams["max_depth"]))
    return EncoderCheckpoint(encoder, featurizer, str(hparams["space"]), path)


def export_encoder(checkpoint: str | Path, path: str | Path) -> Path:
    """Write a compact copy of a training checkpoint: weights and hyper-parameters only.

    The copy (no optimizer state, no callback state) is what ships as
    :data:`DEFAULT_CHECKPOINT`; :func:`load_encoder` reads it as it reads the original.
    """
    source = load_encoder(checkpoint).path  # fails clearly on a foreign file
    content = torch.load(source, map_location="cpu", weights_only=True)
    keep = ("state_dict", "hyper_parameters", "pytorch-lightning_version", "epoch", "global_step")
    compact = {key: content[key] for key in keep if key in content}
    return atomic_write(Path(path), lambda tmp: torch.save(compact, tmp))


def _space_of_vocab(vocab: tuple[str, ...]) -> str:
    """Name of the known space with this vocabulary (for error messages)."""
    from cbred.spaces.nb101 import NB101Space
    from cbred.spaces.nb201 import NB201Space

    names = {tuple(space.node_vocab): space.name for space in (NB201Space(), NB101Space())}
    return names.get(tuple(vocab), "unknown")


class LearnedDistance(Distance):
    """Distance between the embeddings of a trained graph encoder.

    Parameters
    ----------
    checkpoint : str or path, optional
        Checkpoint written by ``train.py``; default: the packaged NB201 encoder
        (:data:`DEFAULT_CHECKPOINT`).
    metric : {"euclidean", "cosine"}, default="euclidean"
        ``euclidean``: ``||e(a) - e(b)||``, trained to approximate the edit distance.
        ``cosine``: the embeddings are normalised to unit length first; the distance,
        ``||u - v|| = sqrt(2 (1 - cos))``, orders pairs as the cosine distance does and
        stays Euclidean in the normalised embedding.
    batch_size : int, default=20000
        Graphs per forward pass of the encoder.
    **engine
        Engine options of :class:`~cbred.distances.base.Distance`; ``device`` also runs
        the encoder, ``progress`` shows a bar over the embedding batches.

    Notes
    -----
    A metric (``triangle_inequality``) and Euclidean (``is_euclidean``): :meth:`embed` is what
    the pipeline clusters. Graphs of a space other than the checkpoint's (another
    vocabulary) are rejected.
    """

    name = "learned"
    symmetric = True
    triangle_inequality = True
    is_euclidean = True

    def __init__(
        self,
        *,
        checkpoint: str | Path | None = None,
        metric: str = "euclidean",
        batch_size: int = 20_000,
        **engine: Any,
    ) -> None:
        super().__init__(**engine)
        self.checkpoint = checkpoint
        self.metric = metric
        self.batch_size = batch_size

    @property
    def checkpoint_path(self) -> Path:
        return Path(self.checkpoint).expanduser() if self.checkpoint is not None else DEFAULT_CHECKPOINT

    def _check_params(self) -> None:
        super()._check_params()
        if self.metric not in METRICS:
            raise ValueError(
                f"LearnedDistance: unknown metric {self.metric!r} (choices: {', '.join(METRICS)})"
            )
        if isinstance(self.batch_size, bool) or not isinstance(self.batch_size, int) or self.batch_size < 1:
            raise ValueError(f"LearnedDistance: batch_size must be a positive int, got {self.batch_size!r}")
        self.model()  # missing or foreign checkpoint files raise here

    def model(self) -> EncoderCheckpoint:
        """The trained encoder (read once per checkpoint file version)."""
        path = self.checkpoint_path
        stamp = (str(path), path.stat().st_mtime_ns) if path.is_file() else None
        if stamp is None or getattr(self, "_model_stamp", None) != stamp:
            self._model = load_encoder(path)
            self._model_stamp = stamp
        return self._model

    def cache_config(self) -> dict[str, Any]:
        """Parameters plus a digest of the checkpoint's content (a retrained file is new)."""
        config = super().cache_config()
        config["checkpoint_sha256"] = hashlib.sha256(self.checkpoint_path.read_bytes()).hexdigest()
        return config

    def embed(self, graphs: GraphBatch) -> np.ndarray:
        """Encoder embedding of every graph (unit length for ``metric="cosine"``).

        Shapes
        ------
        graphs : N graphs -> (N, d) float32

        Raises
        ------
        ValueError
            For graphs of another space than the checkpoint's (vocabulary mismatch).
        """
        self._check_params()
        check_batches(graphs)
        model = self.model()
        if not model.featurizer.reads(graphs.vocab):  # its own space's, or any of a union's
            raise ValueError(
                f"learned distance: checkpoint {str(model.path)!r} was trained on space "
                f"{model.space!r} (operations {model.featurizer.vocab}), the graphs are of space "
                f"{_space_of_vocab(graphs.vocab)!r} (operations {graphs.vocab}); train an encoder "
                "for that space with `python train.py space=...` and pass distance.checkpoint=PATH"
            )
        device = resolve_device(self.device)
        encoder = model.encoder.to(device)
        starts = range(0, len(graphs), self.batch_size)
        show = self.progress if self.progress is not None else len(starts) >= 3
        chunks = []
        with torch.inference_mode():
            for start in tqdm(starts, desc="learned embedding", unit="batch", disable=not show):
                part = graphs.subset(np.arange(start, min(start + self.batch_size, len(graphs))))
                batch = model.featurizer(part).to(device)
                chunks.append(encoder(batch.x, batch.edge_index, batch.batch, len(part)))
        embedding = torch.cat(chunks)
        if self.metric == "cosine":
            embedding = torch.nn.functional.normalize(embedding, dim=1)
        return embedding.cpu().numpy().astype(np.float32)

    def features(self, graphs: GraphBatch) -> np.ndarray:
        return self.embed(graphs)

    def block(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Euclidean distances between embedding rows.

        Shapes
        ------
        x : (a, d), y : (b, d) -> (a, b) float64
        """
        return torch.cdist(x.double(), y.double())
