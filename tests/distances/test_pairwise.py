import numpy as np
import pytest

from cbred.distances import GraphEditDistance, Hellinger, JensenShannon, SymmetricKL, exact_ged
from cbred.distances.pairwise import pair_distances
from cbred.distances import pairwise as engine
from cbred.graph import GraphBatch
from cbred.paths import cache_dir

from .conftest import VOCAB, batch, chain


@pytest.mark.parametrize(
    "distance",
    [
        JensenShannon(feature="wl_subtree", feature_params={"depth": 2}, cache=False),
        SymmetricKL(feature="edge_pair_histogram", cache=False),
        GraphEditDistance(cache=False, n_jobs=1),
    ],
    ids=["js-wl", "kl-edges", "ged"],
)
def test_chunking_does_not_change_the_result(nb201_sample, distance):
    graphs = nb201_sample.subset(range(60))
    whole = distance.pairwise(graphs)
    distance.memory_mb = 0.05  # blocks of a few rows
    try:
        side = engine._block_side(distance.block_bytes(distance.features(graphs).shape[1]), 0.05)
        assert side < 30  # really many blocks
        np.testing.assert_array_equal(distance.pairwise(graphs), whole)
    finally:
        distance.memory_mb = 1024.0


def test_two_sets_give_the_cross_block_of_the_full_matrix(nb201_sample):
    distance = Hellinger(feature="wl_subtree", cache=False)
    full = distance.pairwise(nb201_sample)
    left, right = nb201_sample.subset(range(0, 50)), nb201_sample.subset(range(50, 120))
    cross = distance.pairwise(left, right)
    assert cross.shape == (50, 70) and cross.dtype == np.float32
    np.testing.assert_allclose(cross, full[:50, 50:], atol=1e-6)


def test_duplicates_get_identical_rows(tiny):
    graphs = tiny.subset([0, 1, 0, 2, 1])
    d = JensenShannon(cache=False).pairwise(graphs)
    assert np.array_equal(d[0], d[2]) and np.array_equal(d[1], d[4])
    assert d[0, 2] == 0 and d[0, 1] > 0


def test_second_call_loads_the_cache(tiny, monkeypatch):
    calls = []
    original = Hellinger.features

    def counting(self, graphs):
        calls.append(len(graphs))
        return original(self, graphs)

    monkeypatch.setattr(Hellinger, "features", counting)
    distance = Hellinger(feature="edge_pair_histogram")
    first = distance.pairwise(tiny)
    path = engine.cache_path(distance, tiny, None)
    assert path.parent == cache_dir() / "distances" and path.exists()
    second = Hellinger(feature="edge_pair_histogram").pairwise(tiny)
    assert calls == [len(tiny)]  # computed once, then loaded
    np.testing.assert_array_equal(first, second)
    # another configuration or other graphs are other entries
    Hellinger(feature="op_histogram").pairwise(tiny)
    distance.pairwise(tiny.subset([0, 1]))
    assert calls == [len(tiny), len(tiny), 2]
    assert engine.cache_path(Hellinger(feature="op_histogram"), tiny, None) != path


def test_worker_processes_give_the_same_result(nb201_sample, monkeypatch):
    graphs = nb201_sample.subset(range(40))
    serial = GraphEditDistance(cache=False, n_jobs=1, memory_mb=0.2).pairwise(graphs)
    monkeypatch.setattr(engine, "PARALLEL_MIN_PAIRS", 0)
    parallel = GraphEditDistance(cache=False, n_jobs=2, memory_mb=0.2).pairwise(graphs)
    np.testing.assert_array_equal(parallel, serial)


def test_bad_input(tiny, nb201_sample):
    distance = Hellinger(cache=False)
    empty = GraphBatch(tiny.ops[:0], tiny.adjacency[:0], tiny.vocab, ids=())
    with pytest.raises(ValueError, match="graphs is empty"):
        distance.pairwise(empty)
    with pytest.raises(ValueError, match="other is empty"):
        distance.pairwise(tiny, empty)
    with pytest.raises(ValueError, match="graphs is empty"):
        distance.embed(empty)
    with pytest.raises(ValueError, match="different spaces.*'conv'.*'nor_conv_3x3'"):
        distance.pairwise(tiny, nb201_sample)
    with pytest.raises(TypeError, match="GraphBatch"):
        distance.pairwise([tiny[0]])
    with pytest.raises(ValueError, match="memory_mb must be positive"):
        Hellinger(memory_mb=0).pairwise(tiny)
    with pytest.raises(ValueError, match="n_jobs"):
        Hellinger(n_jobs=0).pairwise(tiny)
    with pytest.raises(ValueError, match="unknown device"):
        Hellinger(device="tpu", cache=False).pairwise(tiny)


def test_concat_pads_to_the_wider_batch():
    narrow = batch(chain("input", "output"))
    wide = batch(chain("input", "conv", "pool", "output"))
    both = engine.concat_batches(narrow, wide)
    assert both.ops.shape == (2, 4) and both.vocab == VOCAB
    assert both[0] == narrow[0] and both[1] == wide[0]
    assert both.ids == ("g0", "g0")


@pytest.mark.parametrize(
    "corrupt",
    [
        lambda path: np.save(path, np.load(path)[::-1]),  # permuted rows: well formed, wrong
        lambda path: path.write_bytes(path.read_bytes()[:90]),  # truncated
        lambda path: path.write_bytes(b""),  # empty
        lambda path: np.save(path, np.zeros((2, 2), dtype=np.float32)),  # another shape
    ],
    ids=["permuted", "truncated", "empty", "mis-shaped"],
)
def test_a_bad_cached_matrix_is_reported_and_recomputed(tiny, corrupt):
    from cbred.cache import CacheWarning

    distance = Hellinger(feature="edge_pair_histogram")
    expected = distance.pairwise(tiny)
    path = engine.cache_path(distance, tiny, None)
    corrupt(path)
    with pytest.warns(CacheWarning, match=str(path.name)):
        np.testing.assert_array_equal(distance.pairwise(tiny), expected)
    np.testing.assert_array_equal(np.load(path), expected)  # rewritten: the next run is silent


def test_the_cache_key_holds_the_code_version(tiny, monkeypatch):
    import cbred.distances.pairwise as module

    distance = Hellinger(feature="edge_pair_histogram")
    before = engine.cache_path(distance, tiny, None)
    monkeypatch.setattr(module, "source_digest", lambda *modules: "an-edited-feature-map")
    assert engine.cache_path(distance, tiny, None) != before


def test_pair_distances_are_the_exact_edit_distances(nb201_space):
    graphs = nb201_space.graphs(nb201_space.ids[::1500])
    pairs = np.array([[0, 1], [1, 2], [3, 3], [4, 9], [0, 5], [2, 7]])
    distance = GraphEditDistance(method="exact")
    costs = distance.costs(graphs.vocab)
    expected = [exact_ged(graphs[i], graphs[j], costs) for i, j in pairs]
    values = pair_distances(distance, graphs, pairs, n_jobs=2, chunk_size=2, cache=False, progress=False)
    np.testing.assert_allclose(values, expected)
    assert values[2] == 0.0


def test_pair_distances_resume_from_the_finished_chunks(nb201_space, monkeypatch):
    module = engine

    graphs = nb201_space.graphs(nb201_space.ids[:40])
    pairs = np.stack([np.arange(0, 20), np.arange(20, 40)], axis=1)
    distance = Hellinger(feature="edge_pair_histogram")
    run = dict(chunk_size=8, progress=False)
    full = pair_distances(distance, graphs, pairs, cache=False, **run)
    original = module._run_pair_tasks

    def interrupted(distance, tasks, workers):  # killed after the first of 3 chunks
        for n, item in enumerate(original(distance, tasks, workers)):
            if n == 1:
                raise KeyboardInterrupt
            yield item

    monkeypatch.setattr(module, "_run_pair_tasks", interrupted)
    with pytest.raises(KeyboardInterrupt):
        pair_distances(distance, graphs, pairs, **run)
    computed = []

    def counting(distance, tasks, workers):
        computed.extend(tasks)
        yield from original(distance, tasks, workers)

    monkeypatch.setattr(module, "_run_pair_tasks", counting)
    resumed = pair_distances(distance, graphs, pairs, **run)
    assert sorted(computed) == [1, 2]  # the finished chunk was read, not recomputed
    np.testing.assert_allclose(resumed, full)
    final = next((cache_dir() / "pair_distances").glob("hellinger-*.npy"))
    assert not final.with_suffix("").exists()
    computed.clear()
    np.testing.assert_array_equal(pair_distances(distance, graphs, pairs, **run), resumed)  # cached
    assert computed == []


def test_a_bad_cached_target_file_is_reported_and_recomputed(nb201_space):
    from cbred.cache import CacheWarning

    graphs = nb201_space.graphs(nb201_space.ids[:10])
    pairs = np.stack([np.arange(0, 5), np.arange(5, 10)], axis=1)
    distance = Hellinger(feature="op_histogram")
    expected = pair_distances(distance, graphs, pairs, progress=False)
    final = [p for p in (cache_dir() / "pair_distances").glob("hellinger-*.npy")
             if np.array_equal(np.load(p), expected)][0]
    np.save(final, expected + 1.0)  # well formed, wrong
    with pytest.warns(CacheWarning, match=final.name):
        np.testing.assert_array_equal(pair_distances(distance, graphs, pairs, progress=False), expected)


def test_pair_distances_reject_bad_positions(nb201_space):
    graphs = nb201_space.graphs(nb201_space.ids[:3])
    with pytest.raises(ValueError, match="pair positions"):
        pair_distances(Hellinger(), graphs, np.array([[0, 3]]), cache=False)
