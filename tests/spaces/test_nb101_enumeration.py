import numpy as np
import pytest

from cbred.spaces.nb101 import Spec, decode_matrix
from cbred.spaces.nb101_enumeration import (
    burnside_count,
    enumerate_space,
    full_dags,
    labelling_orbits,
    unlabelled_classes,
)


def test_full_dags_small():
    masks, matrices = full_dags(3)
    # 0->1->2 and 0->1->2 plus 0->2
    assert sorted(masks.tolist()) == [5, 7]
    assert matrices.shape == (2, 3, 3)


@pytest.mark.parametrize("n, classes, cells", [(2, 1, 1), (3, 2, 6), (4, 10, 84), (5, 97, 2441)])
def test_counts_per_vertex_number(n, classes, cells):
    reps = unlabelled_classes(n)
    assert len(reps) == classes
    assert sum(len(labelling_orbits(n, autos)) for _, autos in reps) == cells == burnside_count(n)


def test_orbits_of_a_symmetric_diamond():
    # diamond 0->{1,2}->3: swapping 1 and 2 is an automorphism; 3^2 labellings, 6 orbits
    reps = unlabelled_classes(4)
    diamond = [a for m, a in reps if decode_matrix(4, m).sum() == 4 and len(a) == 2]
    assert diamond
    assert len(labelling_orbits(4, diamond[0])) == 6


def test_small_enumeration_is_brute_force_exact():
    # brute force for n <= 5: hash every labelled full DAG and count distinct hashes
    import itertools

    from cbred.spaces.nb101 import INTERIOR_OPS

    hashes = set()
    for n in range(2, 6):
        masks, _ = full_dags(n)
        for m in masks:
            for lab in itertools.product(INTERIOR_OPS, repeat=n - 2):
                hashes.add(Spec(decode_matrix(n, int(m)), ("input", *lab, "output")).hash)
    assert len(hashes) == 1 + 6 + 84 + 2441
