"""Spaces as declarations: NB201, NB101 and TransNAS-Bench-101 micro from configs/space/*.yaml.

NB201 and NB101 as declarations must reproduce the benchmarks' own ids, isomorphism
classes, hashes and networks (the references are the published tables in ../shared/data and
the default reduction's selection, written before the spaces were declared).
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from hydra.utils import instantiate
from omegaconf import OmegaConf

from cbred.models import build_network
from cbred.paths import PROJECT_ROOT
from cbred.spaces.edge_cell import EdgeCellSpace
from cbred.spaces.nb101 import NB101Space
from cbred.spaces.nb201 import NB201Space
from cbred.spaces.node_dag import NodeDAGSpace
from tests.conftest import reference

TNB101_OPS = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3"]


def declared(name: str):
    return instantiate(OmegaConf.load(PROJECT_ROOT / "configs" / "space" / f"{name}.yaml"))


def n_params(network: torch.nn.Module) -> int:
    return sum(p.numel() for p in network.parameters())


@pytest.mark.data
def test_the_nb201_declaration_reproduces_the_benchmarks_ids_and_classes(nb201_csv):
    space = declared("nb201")
    assert isinstance(space, EdgeCellSpace) and space.name == "nb201"
    published = pd.read_csv(nb201_csv).set_index("arch")["isomorph_class"]
    assert set(space.ids) == set(published.index) and len(space.ids) == 15_625
    assert space.ids == NB201Space().ids
    classes = space.isomorphism_classes()
    assert classes.nunique() == 6_466
    # the same partition as the published canonical forms, class for class
    pairs = pd.DataFrame({"ours": classes, "published": published.reindex(classes.index)})
    assert pairs.drop_duplicates().shape[0] == 6_466
    assert space.graphs().rows().tolist() == NB201Space().graphs().rows().tolist()


def test_the_nb201_declaration_builds_the_benchmark_network_parameter_for_parameter():
    space, arch = declared("nb201"), "|nor_conv_3x3~0|+|avg_pool_3x3~0|skip_connect~1|+|skip_connect~0|nor_conv_1x1~1|nor_conv_3x3~2|"
    torch.manual_seed(0)
    a = build_network(space, arch, C=8, N=1)
    torch.manual_seed(0)
    b = build_network("nb201", arch, C=8, N=1)
    assert list(a.state_dict()) == list(b.state_dict())
    assert all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))


@pytest.mark.data
def test_declared_nb201_networks_have_the_published_parameter_counts():
    space = declared("nb201")
    table = pd.read_csv(reference("nb201_zc_proxies_cifar10.csv")).sample(60, random_state=1)
    with torch.device("meta"):
        counts = [n_params(build_network(space, arch)) for arch in table["arch"]]
    assert (np.array(counts) / 1e6).round(6).tolist() == table["params"].round(6).tolist()


@pytest.mark.data
def test_the_nb101_declaration_reproduces_the_published_hashes_and_parameter_counts(nb101_jsonl):
    space = declared("nb101")
    assert isinstance(space, NodeDAGSpace) and space.node_vocab == NB101Space().node_vocab
    published = pd.read_json(nb101_jsonl, lines=True)
    specs = [space.spec_from_raw(np.array(m), o) for m, o in zip(published["matrix"], published["ops"])]
    assert [s.hash for s in specs] == published["hash"].tolist()
    cells = space.from_specs(specs[:20])
    assert [cells.isomorphism_class(h) for h in cells.ids] == list(cells.ids)
    with torch.device("meta"):
        counts = [n_params(build_network(cells, h)) for h in cells.ids[:5]]
    expected = published.set_index("hash").loc[list(cells.ids[:5]), "params"].tolist()
    assert counts == expected


@pytest.mark.data
def test_nb101_declared_and_legacy_spaces_agree_on_ids_graphs_and_neighbours(nb101_jsonl, nb101_sample):
    cells = declared("nb101").with_cells(nb101_sample.table)
    assert cells.ids == nb101_sample.ids
    assert cells.graphs().rows().tolist() == nb101_sample.graphs().rows().tolist()
    assert set(cells.neighbours(cells.ids[3])) == set(nb101_sample.neighbours(cells.ids[3]))


def test_tnb101_micro_is_the_nb201_skeleton_with_four_operations():
    space = declared("tnb101_micro")
    assert space.name == "tnb101_micro" and space.ops == tuple(TNB101_OPS)
    assert len(space.ids) == 4 ** 6 == 4_096
    assert space.isomorphism_classes().nunique() == 1_236
    assert space.ids[-1] == "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|"
    # its cells are NB201 cells without avg_pool: same classes where NB201 has no pooling twin
    nb201 = NB201Space()
    same = [nb201.isomorphism_class(a) == space.isomorphism_class(a) for a in space.ids]
    assert all(same)
    with pytest.raises(ValueError, match=r"unknown operation 'avg_pool_3x3'.*choices: none, skip_connect, nor_conv_1x1, nor_conv_3x3"):
        space.canonical_id("|avg_pool_3x3~0|+|none~0|none~1|+|none~0|none~1|none~2|")


@pytest.mark.parametrize(
    "declaration, match",
    [
        (dict(operations=["none", "conv_3x3"]), r"space 'bad': unknown operation 'conv_3x3'; the library knows"),
        (dict(operations=["none", "nor_conv_4x4"]), r"space 'bad': operation 'nor_conv_4x4': kernel size 4 must be odd"),
        (dict(operations=["none", "none"]), r"space 'bad': operations listed twice: \['none'\]"),
        (dict(operations=[]), r"space 'bad': the operation set is empty"),
        (dict(operations=["none"]), r"space 'bad': every operation is zero .* no cell has a path"),
        (dict(operations=["skip_connect"], n_nodes=1), r"space 'bad': n_nodes must be an integer >= 2"),
        (dict(operations=["skip_connect"], network={"depth": 3}), r"space 'bad': unknown network key\(s\) \['depth'\]"),
    ],
)
def test_a_malformed_edge_cell_declaration_is_named(declaration, match):
    with pytest.raises(ValueError, match=match):
        EdgeCellSpace(name="bad", **declaration)


@pytest.mark.parametrize(
    "declaration, match",
    [
        (dict(operations=["conv3x3-bn-relu", "none"]), r"space 'bad': \['none'\] cannot be a vertex operation"),
        (dict(operations=["conv3x3-bn-relu"], max_vertices=1), r"space 'bad': max_vertices must be an integer >= 2"),
        (dict(operations=["conv3x3-bn-relu"], max_edges=0), r"space 'bad': max_edges must be an integer >= 1"),
        (dict(operations=["conv3x3-bn-relu"], max_vertices=9), r"space 'bad': max_vertices=9: .* up to 7 vertices"),
        (dict(operations=["relu"]), r"space 'bad': unknown operation 'relu'"),
    ],
)
def test_a_malformed_node_dag_declaration_is_named(declaration, match):
    with pytest.raises(ValueError, match=match):
        NodeDAGSpace(name="bad", **declaration)


def test_every_declared_config_instantiates_with_its_network():
    for path in sorted(Path(PROJECT_ROOT / "configs" / "space").glob("*.yaml")):
        space = declared(path.stem)
        arch = space.sample(1, random_state=0)[0] if not isinstance(space, NodeDAGSpace) else None
        if arch is None:  # node DAG declarations list their cells only when enumerated
            continue
        network = build_network(space, arch, C=4, N=1) if isinstance(space, EdgeCellSpace) else build_network(space, arch, C=4, layers=2)
        assert network(torch.randn(2, 3, 16, 16)).shape == (2, 10), path.stem


@pytest.mark.slow
def test_the_default_reduction_selects_what_it_selected_before_the_spaces_were_declared(tmp_path):
    import cbred
    from cbred.pipeline import ReductionWarning

    before = (Path(__file__).parent / "data" / "nb201_default_selected.txt").read_text().split()
    with pytest.warns(ReductionWarning):
        reduction = cbred.reduce("nb201")  # configs/space/nb201.yaml: the declaration
    files = reduction.write(tmp_path)
    written = pd.read_csv(files["selected"])
    # the file lists the same 149 cells as before; it is now in selection order (rank 1 first,
    # issue 25), not space order, so the comparison is of the set, and the order is the rank's
    assert set(written["arch"]) == set(before) and len(written) == len(before) == 149
    assert written["rank"].tolist() == list(range(1, 150))
    assert written["arch"].tolist() == reduction.ranking().index.tolist()


def test_the_builtin_spaces_are_the_declared_configs():
    from cbred.spaces.builtin import BUILTIN_SPACES

    for name in ("nb201", "tnb101_micro", "darts"):
        ours, config = BUILTIN_SPACES[name](), declared(name)
        assert (ours.name, ours.node_vocab, ours.network) == (config.name, config.node_vocab, config.network)
        arch = config.sample(1, random_state=0)[0]
        assert ours.isomorphism_class(arch) == config.isomorphism_class(arch)
    assert BUILTIN_SPACES["nb101"]().rules == declared("nb101").rules
