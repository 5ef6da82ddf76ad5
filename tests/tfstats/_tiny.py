"""Tiny networks and batches shared by the statistic tests."""

import torch
from torch import nn

from cbred.tfstats.images import ImageBatch


def mlp(seed=0, hidden=6, classes=3):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Flatten(), nn.Linear(4, hidden), nn.ReLU(), nn.Linear(hidden, classes))


def batch_of(n=6, seed=0, shape=(1, 2, 2), classes=3):
    g = torch.Generator().manual_seed(seed)
    return ImageBatch(torch.randn((n, *shape), generator=g), torch.arange(n) % classes)


def permuted(batch, seed=1):
    order = torch.randperm(len(batch), generator=torch.Generator().manual_seed(seed))
    return ImageBatch(batch.inputs[order], batch.targets[order])


class Blocks(nn.Module):
    """A network with the block layout of cbred.models: stem, cells, classifier."""

    def __init__(self, stem, cells, classifier):
        super().__init__()
        self.stem, self.cells, self.classifier = stem, nn.Sequential(*cells), classifier

    def forward(self, x):
        return self.classifier(self.cells(self.stem(x)))


class Pool(nn.Module):
    def __init__(self, channels, classes=3):
        super().__init__()
        self.linear = nn.Linear(channels, classes)

    def forward(self, x):
        return self.linear(x.mean(dim=(2, 3)))


def random_batch(n=5, seed=0, shape=(1, 2, 2)):
    """The inputs of :func:`batch_of` with targets drawn uniformly from 3 classes."""
    g = torch.Generator().manual_seed(seed)
    return ImageBatch(torch.randn((n, *shape), generator=g), torch.randint(3, (n,), generator=g))


def tiny_runner_config(**options) -> str:
    """A runner configuration (YAML) for command-line tests: a few NB201 cells, three cheap
    statistics on a two-channel network, one repeat; ``options`` replace its keys."""
    from omegaconf import OmegaConf

    config = {
        "defaults": ["_self_", {"override hydra/job_logging": "none"}, {"override hydra/hydra_logging": "none"}],
        "space": {"_target_": "cbred.spaces.nb201.NB201Space"},
        "statistics": ["naswot_v2", "snip", "params"],
        "probe": {"_target_": "cbred.tfstats.runner.Probe", "network": {"C": 2, "N": 1},
                  "inputs": {"_target_": "cbred.tfstats.images.GaussianImages", "resolution": 8}, "batch_size": 4},
        "probes": {}, "repeats": 1, "seed": 0, "archs_limit": 7, "device": "cpu", "processes": 1, "num_nodes": 1,
        "strategy": "auto", "cache": None, "progress": False, "benchmark_costs": False, "output": None,
        "hydra": {"output_subdir": None, "run": {"dir": "."}},
    }
    return OmegaConf.to_yaml(OmegaConf.create({**config, **options}))
