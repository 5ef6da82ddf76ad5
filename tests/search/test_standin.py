"""The stand-in training function: deterministic, cheap, a function of the cell's graph (not accuracy)."""

import numpy as np
import pytest

from cbred.search.standin import CEILING, FLOOR, train
from cbred.spaces.nb201 import NB201Space

NO_PATH = "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"
ALL_CONV = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|"


def test_standin_is_deterministic_and_follows_the_live_operations():
    space = NB201Space()
    cells = space.sample(300, random_state=0)
    values = np.array([train(a) for a in cells])
    assert values.tolist() == [train(a) for a in cells]
    assert ((values >= FLOOR) & (values <= CEILING)).all()
    assert train(NO_PATH) == FLOOR and train(ALL_CONV) > 90
    # convolutions on an input-output path count; dead edges do not
    live_convs = [sum(op.startswith("nor_conv") for op in space.graph(a).op_names) for a in cells]
    assert np.corrcoef(live_convs, values)[0, 1] > 0.6
    # node 1 has no input: its outgoing pool and conv are dead, the graph is that of the cell without them
    dead = "|none~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|none~0|nor_conv_3x3~1|nor_conv_3x3~2|"
    pruned = "|none~0|+|nor_conv_3x3~0|none~1|+|none~0|none~1|nor_conv_3x3~2|"
    assert space.graph(dead) == space.graph(pruned)
    assert abs(train(dead) - train(pruned)) < 2  # the per-cell noise only (standard deviation 0.3 each)


def test_standin_names_a_bad_cell():
    with pytest.raises(ValueError, match="unknown operation 'conv_7x7'"):
        train("|conv_7x7~0|+|none~0|none~1|+|none~0|none~1|none~2|")


def test_the_standin_serves_any_declared_space():
    from cbred.search.standin import StandInTraining, train_darts
    from cbred.spaces.darts import DartsSpace

    space = DartsSpace()
    cells = space.sample(200, random_state=0)
    values = np.array([train_darts(a) for a in cells])
    assert values.tolist() == [StandInTraining(space)(a) for a in cells]
    assert ((values > FLOOR) & (values <= CEILING)).all() and values.std() > 0.5
    convs = [sum("conv" in op for op in space.graph(a).op_names) for a in cells]
    assert np.corrcoef(convs, values)[0, 1] > 0.3
    with pytest.raises(ValueError, match="darts"):
        train_darts("normal:bogus")
