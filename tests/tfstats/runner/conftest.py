"""Shared by the runner's tests: the NB201 space, a few architectures, a tiny probe."""

import pytest

from cbred.spaces.nb201 import NB201Space
from cbred.tfstats.images import GaussianImages
from cbred.tfstats.runner import Probe

ZERO = "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"
STATS = ["naswot_v2", "snip", "params"]


@pytest.fixture(scope="package")
def space():
    return NB201Space()


@pytest.fixture(scope="package")
def archs(space):
    """Two isomorphism classes of two members each, and the all-zero cell."""
    classes = space.isomorphism_classes()
    sizes = classes.value_counts()
    chosen = [c for c in sizes.index if sizes[c] >= 2 and "nor_conv" in c][:2]
    members = [a for c in chosen for a in classes.index[classes == c][:2]]
    return members + [ZERO]


@pytest.fixture
def probe():
    return Probe(network={"C": 2, "N": 1}, inputs=GaussianImages(resolution=8), batch_size=4)
