"""Objectives by name: each lowers its loss and learns a known metric on a toy problem."""

import numpy as np
import pytest
import torch
from scipy.stats import spearmanr

from cbred.learned.datamodule import PairBatch
from cbred.learned.encoder import GraphEncoder
from cbred.learned.featurizer import GraphFeaturizer
from cbred.learned.losses import LOSSES, OBJECTIVES, objective_terms, ranked_triplet
from cbred.learned.metric_learner import MetricLearner, embedding_distances


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny graphs train fastest, and steadiest beside other jobs, on one thread."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_every_objective_names_registered_losses():
    assert {term for terms in OBJECTIVES.values() for term in terms} <= set(LOSSES)
    assert objective_terms("regression") == {"regression": 1.0}  # the default is the plain squared error
    assert objective_terms("both", {"contrastive": 0.5}) == {"regression": 1.0, "contrastive": 0.5}
    with pytest.raises(ValueError, match="unknown loss"):
        objective_terms("infonce")
    with pytest.raises(ValueError, match="unknown loss"):
        objective_terms("both", {"triplet": 1.0})


def test_ranked_triplet_hinges_on_the_edit_distance_gap():
    targets = torch.tensor([[1.0, 3.0, 3.0]])
    # order right with gaps of at least the edit gap: no loss; ties make no triplet
    assert ranked_triplet(torch.tensor([[1.0, 3.5, 3.0]]), targets).item() == 0.0
    # the 3-edit candidates only 1 farther than the 1-edit one: each short of the margin 2 by 1
    assert ranked_triplet(torch.tensor([[1.0, 2.0, 2.0]]), targets).item() == pytest.approx(1.0)
    assert ranked_triplet(torch.tensor([[1.0, 2.0, 2.0]]), targets, margin=0.5).item() == 0.0
    distances = torch.ones(1, 3, requires_grad=True)
    ranked_triplet(distances, torch.ones(1, 3)).backward()  # all tied: zero, with a gradient
    assert torch.equal(distances.grad, torch.zeros(1, 3))


def _fit_points(loss: str, steps: int = 300) -> tuple[list[float], float]:
    """Optimise free embeddings of 16 points so that their distances learn the points' own metric."""
    generator = torch.Generator().manual_seed(0)
    truth = 4 * torch.rand(16, 2, generator=generator)
    targets = torch.cdist(truth, truth)
    model = MetricLearner(GraphEncoder(4, out_channels=3), space="toy", vocab=["a"], max_depth=1, loss=loss)
    z = torch.nn.Parameter(0.1 * torch.randn(16, 3, generator=generator))
    optimizer = torch.optim.Adam([z], lr=0.05)
    anchors = torch.arange(16)
    candidates = torch.stack([torch.cat([torch.arange(a), torch.arange(a + 1, 16)]) for a in range(16)])
    truth_pairs = targets[anchors[:, None], candidates]
    losses = []
    for _ in range(steps):
        terms = model.objective(embedding_distances(z[anchors], z[candidates]), truth_pairs)
        value = sum(model.terms_[name] * term for name, term in terms.items())
        optimizer.zero_grad()
        value.backward()
        optimizer.step()
        losses.append(value.item())
    learned = torch.cdist(z.detach(), z.detach())
    upper = torch.triu_indices(16, 16, 1)
    return losses, spearmanr(learned[upper[0], upper[1]], targets[upper[0], upper[1]])[0]


@pytest.mark.parametrize("loss", list(OBJECTIVES))
def test_each_objective_learns_a_known_metric_of_points(loss):
    losses, rho = _fit_points(loss)
    assert losses[-1] < 0.2 * losses[0]
    assert rho > 0.9


def _hamming_pairs(nb201_space, n: int = 10) -> PairBatch:
    """NB201 cells and a known metric between them: the number of edges whose operation differs."""
    ids = nb201_space.sample(n, random_state=0)
    graphs = nb201_space.graphs(ids)
    ops = torch.from_numpy(graphs.ops)
    distances = (ops[:, None, :] != ops[None, :, :]).sum(-1).float()
    anchors = torch.arange(n)
    candidates = torch.stack([torch.cat([torch.arange(a), torch.arange(a + 1, n)]) for a in range(n)])
    featurizer = GraphFeaturizer(nb201_space.node_vocab)
    return PairBatch(featurizer(graphs), anchors, candidates, distances[anchors[:, None], candidates]), featurizer


@pytest.mark.parametrize("loss", list(OBJECTIVES))
def test_each_objective_trains_a_tiny_encoder(nb201_space, loss):
    torch.manual_seed(0)
    batch, featurizer = _hamming_pairs(nb201_space)
    encoder = GraphEncoder(featurizer.num_features, hidden_channels=16, out_channels=8, num_layers=2)
    model = MetricLearner(encoder, space="nb201", vocab=featurizer.vocab, max_depth=7, loss=loss)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(150):
        z = model(batch.graphs)
        terms = model.objective(embedding_distances(z[batch.anchors], z[batch.candidates]), batch.targets)
        value = sum(model.terms_[name] * term for name, term in terms.items())
        optimizer.zero_grad()
        value.backward()
        optimizer.step()
        losses.append(value.item())
    assert np.mean(losses[-10:]) < 0.5 * np.mean(losses[:10])


def test_the_default_model_is_the_plain_regression_learner():
    model = MetricLearner(GraphEncoder(4), space="toy", vocab=["a"], max_depth=1)
    assert model.hparams.loss == "regression" and model.terms_ == {"regression": 1.0}
    assert model.tf_head is None and all(key.startswith("encoder.") for key in model.state_dict())
