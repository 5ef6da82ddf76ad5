"""A training function over a Dask cluster: ``CallableEvaluator(function, executor=client.get_executor())``
gives the serial evaluator's search, with no adapter between them."""

import pytest

from cbred.search import CallableEvaluator, RegularizedEvolution, SampledDomain, run_search
from cbred.search.standin import train
from cbred.spaces.nb201 import NB201Space

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client():
    """Two worker processes of one thread each, as two machines would be."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with distributed.Client(cluster) as connected:
            yield connected


def search(evaluator, n_workers=1):
    domain = SampledDomain(space=NB201Space())
    return run_search(RegularizedEvolution(population_size=10, sample_size=3), domain, evaluator, budget=40,
                      random_state=0, n_workers=n_workers)


def test_a_search_over_a_dask_cluster_equals_the_serial_search(client):
    serial = search(CallableEvaluator(function=train))
    # pure=False: a training run is not a pure function of its id (and its cost is a wall time)
    over_dask = search(CallableEvaluator(function=train, executor=client.get_executor(pure=False)))
    columns = ["query", "arch", "accuracy", "best_so_far"]
    assert over_dask[columns].equals(serial[columns])
    assert (over_dask["cost"] > 0).all()  # the wall time of each call, on a worker


def test_queries_in_flight_run_on_both_workers(client):
    with distributed.get_task_stream(client) as stream:
        trace = search(CallableEvaluator(function=train, executor=client.get_executor(pure=False)), n_workers=4)
    assert len(trace) == 40 and trace["arch"].is_unique
    assert trace["accuracy"].tolist() == [train(arch) for arch in trace["arch"]]
    assert len({task["worker"] for task in stream.data}) == 2


@pytest.mark.slow
def test_search_py_runs_the_training_function_on_the_cluster_of_search_executor(client, tmp_path):
    import pandas as pd
    from hydra import compose, initialize_config_dir

    from cbred.paths import PROJECT_ROOT
    from search import run

    executor = f'search.executor={{_target_:cbred.search.cluster.dask_executor,address:"{client.scheduler.address}"}}'
    overrides = ["logger=none", "search.evaluator=cbred.search.standin:train", "space_subset=[full]", "strategy=[rea]",
                 "search.n_runs=1", "search.budget=20", "search.n_workers=2", "plots.enabled=false",
                 f"output_dir={tmp_path}", executor]
    with initialize_config_dir(config_dir=str(PROJECT_ROOT / "configs"), version_base="1.3"):
        cfg = compose("search", overrides=overrides)
    connected = set(client.cluster.scheduler.clients)
    with distributed.get_task_stream(client) as stream:
        run(cfg)
    table = pd.read_csv(tmp_path / "search.csv")
    assert len(table) == 20 and table["accuracy"].tolist() == [train(arch) for arch in table["arch"]]
    assert len(stream.data) == 20  # every query ran on the cluster
    # search.py closed its own connection at the end, and only that: the cluster serves on
    assert set(client.cluster.scheduler.clients) == connected and client.status == "running"


def test_search_executor_is_refused_with_a_benchmark_table(tmp_path):
    from hydra import compose, initialize_config_dir

    from cbred.paths import PROJECT_ROOT
    from search import run

    with initialize_config_dir(config_dir=str(PROJECT_ROOT / "configs"), version_base="1.3"):
        cfg = compose("search", overrides=["logger=none", f"output_dir={tmp_path}",
                                           "search.executor={_target_:cbred.search.cluster.dask_executor}"])
    with pytest.raises(ValueError, match="search.executor runs a training function"):
        run(cfg)
