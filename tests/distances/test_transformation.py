from multiprocessing import get_context

import networkx as nx
import numpy as np
import pytest
from scipy.stats import spearmanr

from cbred.distances import GraphEditDistance, bipartite_ged, exact_ged
from cbred.distances.costs import EditCosts

from .conftest import VOCAB, batch, chain, graph


def costs(**params):
    return EditCosts.build(VOCAB, **params)


def nx_ged(a, b, edit_costs, upper_bound=None):
    return nx.graph_edit_distance(
        a.to_networkx(), b.to_networkx(), upper_bound=upper_bound, **edit_costs.networkx_kwargs()
    )


@pytest.mark.parametrize(
    "a, b, expected",
    [
        # substitute output -> pool, insert a new output and one edge
        (chain("input", "conv", "output"), chain("input", "conv", "pool", "output"), 3.0),
        # insert conv and its two edges
        (graph(["input", "output"], []), chain("input", "conv", "output"), 3.0),
        (chain("input", "conv", "output"), chain("input", "pool", "output"), 1.0),
        (chain("input", "conv", "output"), chain("input", "conv", "output"), 0.0),
    ],
)
def test_exact_known_values_agree_with_networkx(a, b, expected):
    assert exact_ged(a, b, costs()) == expected
    assert nx_ged(a, b, costs()) == expected


def test_cost_model_changes_the_value():
    a, b = chain("input", "conv", "output"), chain("input", "conv", "pool", "output")
    assert exact_ged(a, b, costs(edge_indel=2.0)) == 4.0  # 1 + 1 + 2
    cheap = costs(pair_costs=[("conv", "pool", 0.25)])
    conv, pool = chain("input", "conv", "output"), chain("input", "pool", "output")
    assert exact_ged(conv, pool, cheap) == nx_ged(conv, pool, cheap) == 0.25


def test_isomorphic_graphs_are_at_distance_zero():
    diamond = graph(["input", "conv", "pool", "output"], [(0, 1), (0, 2), (1, 3), (2, 3)])
    swapped = graph(["input", "pool", "conv", "output"], [(0, 1), (0, 2), (1, 3), (2, 3)])
    assert exact_ged(diamond, swapped, costs()) == 0.0
    graphs = batch(diamond, swapped)
    for method in ("exact", "bipartite"):
        d = GraphEditDistance(method=method, cache=False).pairwise(graphs)
        assert d.tolist() == [[0.0, 0.0], [0.0, 0.0]]


def random_pairs(graphs, n_pairs, seed):
    rng = np.random.default_rng(seed)
    return [tuple(rng.choice(len(graphs), 2, replace=False)) for _ in range(n_pairs)]


@pytest.mark.slow
@pytest.mark.parametrize("space", ["nb201", "nb101"])
def test_exact_equals_networkx_and_bounds_the_approximation(space, request):
    if space == "nb201":
        fixture = request.getfixturevalue("nb201_space")
        ids = fixture.ids
    else:
        fixture = request.getfixturevalue("nb101_sample")
        ids = fixture.ids
    rng = np.random.default_rng(1)
    graphs = fixture.graphs([ids[i] for i in rng.choice(len(ids), 400, replace=False)])
    edit_costs = GraphEditDistance().costs(graphs.vocab)
    pairs = random_pairs(graphs, 200, seed=2)
    exact = np.array([exact_ged(graphs[i], graphs[j], edit_costs) for i, j in pairs])
    # networkx prunes with the bound: it returns the optimum iff it is <= value
    jobs = [(graphs[i], graphs[j], edit_costs, value + 1e-6) for (i, j), value in zip(pairs, exact)]
    with get_context("fork").Pool(2) as pool:  # networkx takes ~0.1 s a pair
        reference = pool.starmap(nx_ged, jobs)
    assert reference == exact.tolist()
    first, second = np.array(pairs).T
    approx = bipartite_ged(graphs.ops, graphs.adjacency, first, second, edit_costs)
    assert np.all(approx >= exact - 1e-9)  # an upper bound
    # a useful one (measured on these pairs: NB201 rho 0.95, NB101 rho 0.8)
    assert spearmanr(approx, exact)[0] > {"nb201": 0.9, "nb101": 0.7}[space]
    plain = bipartite_ged(
        graphs.ops, graphs.adjacency, first, second, edit_costs, topology_weight=0, refine=0
    )
    assert np.mean(approx - exact) < np.mean(plain - exact)


def test_pairwise_is_symmetric_and_bounded_by_the_exact_values(tiny):
    exact = GraphEditDistance(method="exact", cache=False).pairwise(tiny)
    approx = GraphEditDistance(cache=False).pairwise(tiny)
    for d in (exact, approx):
        assert np.array_equal(d, d.T) and np.all(np.diag(d) == 0) and np.all(d >= 0)
    assert np.all(approx >= exact)
    assert exact[0, 1] == exact_ged(tiny[0], tiny[1], costs())
    assert exact[3, 0] == 3.0


def test_argument_order_does_not_change_the_approximation(nb201_sample):
    d = GraphEditDistance(cache=False)
    left, right = nb201_sample.subset(range(0, 30)), nb201_sample.subset(range(30, 60))
    np.testing.assert_array_equal(d.pairwise(left, right), d.pairwise(right, left).T)


def test_bad_parameters_name_the_culprit(tiny):
    with pytest.raises(ValueError, match="unknown method 'astar'.*bipartite, exact"):
        GraphEditDistance(method="astar").pairwise(tiny)
    with pytest.raises(ValueError, match="unknown operation.*'nor_conv_5x5'"):
        GraphEditDistance(pair_costs=[["nor_conv_5x5", "nor_conv_3x3", 0.5]]).pairwise(tiny)
    with pytest.raises(ValueError, match="edge_indel must be a finite non-negative"):
        GraphEditDistance(edge_indel=-1).pairwise(tiny)
    with pytest.raises(ValueError, match=r"must be \[op_a, op_b, cost\]"):
        GraphEditDistance(pair_costs=[["conv", "pool"]]).pairwise(tiny)
    with pytest.raises(ValueError, match="refine"):
        GraphEditDistance(refine=-1).pairwise(tiny)
