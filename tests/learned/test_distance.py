"""The learned distance: the packaged NB201 encoder, the Distance API, the pipeline, bad input."""

import numpy as np
import pandas as pd
import pytest
import torch
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate

from cbred.clustering.representation import represent
from cbred.spaces.nb101 import module_hash
from cbred.learned.distance import DEFAULT_CHECKPOINT, LearnedDistance, load_encoder
from cbred.paths import PROJECT_ROOT


@pytest.fixture(scope="module")
def nb201_embedding(nb201_space):
    return LearnedDistance(cache=False).embed(nb201_space.graphs())


def test_the_packaged_checkpoint_is_a_small_nb201_encoder():
    model = load_encoder(DEFAULT_CHECKPOINT)
    assert model.space == "nb201" and model.featurizer.vocab[0] == "input"
    assert DEFAULT_CHECKPOINT.stat().st_size < 1_000_000
    assert not model.encoder.training


def test_embeds_all_nb201_cells(nb201_space, nb201_embedding):
    assert nb201_embedding.shape == (15625, load_encoder(DEFAULT_CHECKPOINT).encoder.out_channels)
    assert nb201_embedding.dtype == np.float32 and np.isfinite(nb201_embedding).all()
    assert len(np.unique(nb201_embedding.round(4), axis=0)) > 5000  # it separates the cells


def test_isomorphic_nb201_graphs_embed_identically(nb201_space, nb201_embedding):
    # graph isomorphism classes, by NAS-Bench-101's fingerprint of labelled DAGs
    graphs = nb201_space.graphs()
    rows = np.concatenate([graphs.ops, graphs.adjacency.reshape(len(graphs), -1)], axis=1)
    distinct, first = np.unique(rows, axis=0, return_index=True)
    n_nodes = graphs.n_nodes[first]
    fingerprint = [
        module_hash(graphs.adjacency[i, :n, :n], graphs.ops[i, :n].tolist()) for i, n in zip(first, n_nodes)
    ]
    assert len(set(fingerprint)) < len(distinct)  # isomorphic graphs in other node orders exist
    frame = pd.DataFrame(nb201_embedding[first]).groupby(fingerprint)
    assert (frame.max() - frame.min()).to_numpy().max() < 1e-4


def test_pairwise_is_the_euclidean_distance_of_the_embedding(nb201_space, nb201_embedding):
    ids = nb201_space.ids[::997]
    distance = LearnedDistance(cache=False)
    matrix = distance.pairwise(nb201_space.graphs(ids))
    chosen = nb201_embedding[::997]
    expected = np.linalg.norm(chosen[:, None] - chosen[None], axis=-1)
    np.testing.assert_allclose(matrix, expected, atol=1e-4)
    assert LearnedDistance.is_euclidean and LearnedDistance.triangle_inequality


def test_cosine_metric_normalises(nb201_space):
    graphs = nb201_space.graphs(nb201_space.ids[:50])
    embedding = LearnedDistance(metric="cosine", cache=False).embed(graphs)
    np.testing.assert_allclose(np.linalg.norm(embedding, axis=1), 1.0, rtol=1e-5)


def test_the_pipeline_clusters_the_embedding(nb201_space):
    with initialize_config_dir(config_dir=str(PROJECT_ROOT / "configs"), version_base="1.3"):
        cfg = compose("reduce", overrides=["distance=learned", "output_dir=unused"])
    distance = instantiate(cfg.distance)
    assert isinstance(distance, LearnedDistance) and distance.checkpoint is None
    graphs = nb201_space.graphs(nb201_space.ids[:300])
    rep = represent(distance, graphs, max_dense=10)  # would be landmark MDS if not Euclidean
    assert rep.kind == "embedding" and rep.metric == "euclidean" and rep.X.shape[0] == 300


def test_missing_checkpoint_is_one_clear_error(nb201_space, tmp_path):
    distance = LearnedDistance(checkpoint=tmp_path / "nope.ckpt")
    with pytest.raises(FileNotFoundError, match="nope.ckpt.*does not exist.*python train.py"):
        distance.embed(nb201_space.graphs(nb201_space.ids[:3]))


def test_checkpoint_of_another_space_is_one_clear_error(nb101_sample):
    graphs = nb101_sample.graphs(nb101_sample.ids[:3])
    with pytest.raises(ValueError, match="trained on space 'nb201'.*graphs are of space 'nb101'"):
        LearnedDistance(cache=False).embed(graphs)


def test_foreign_files_are_rejected(tmp_path):
    text = tmp_path / "text.ckpt"
    text.write_text("not a checkpoint")
    with pytest.raises(ValueError, match="not a checkpoint written by train.py"):
        load_encoder(text)
    other = tmp_path / "other.ckpt"
    torch.save({"state_dict": {}, "hyper_parameters": {"lr": 0.1}}, other)
    with pytest.raises(ValueError, match=r"lacks the hyper-parameters \['space'"):
        load_encoder(other)


def test_bad_parameters(nb201_space):
    graphs = nb201_space.graphs(nb201_space.ids[:3])
    with pytest.raises(ValueError, match="unknown metric 'manhattan'"):
        LearnedDistance(metric="manhattan").embed(graphs)
    with pytest.raises(ValueError, match="batch_size"):
        LearnedDistance(batch_size=0).embed(graphs)


def test_an_encoder_with_nan_weights_is_named_not_reported_as_a_k_problem(nb201_space, tmp_path):
    content = torch.load(DEFAULT_CHECKPOINT, map_location="cpu", weights_only=True)
    name = next(k for k, v in content["state_dict"].items() if k.startswith("encoder.") and v.is_floating_point())
    content["state_dict"][name] = torch.full_like(content["state_dict"][name], float("nan"))
    broken = tmp_path / "diverged.ckpt"
    torch.save(content, broken)
    with pytest.raises(ValueError, match=rf"diverged.ckpt.*non-finite.*{name[len('encoder.'):]}.*distance.checkpoint"):
        LearnedDistance(checkpoint=broken).embed(nb201_space.graphs(nb201_space.ids[:3]))
