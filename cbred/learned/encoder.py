"""A graph neural network that embeds computational graphs (op-on-node DAGs).

:class:`DirectedGINConv`
    One round of GIN message passing that keeps the direction of the edges: a node sums
    its predecessors and, separately, its successors (two :class:`~torch_geometric.nn.GINConv`
    on the edges and on the reversed edges). Computation flows from the input to the
    output of a cell; a plain undirected GIN could not tell a convolution *before* a pooling
    from one *after* it.
:class:`GraphEncoder`
    Input projection, ``num_layers`` residual :class:`DirectedGINConv` layers, and a
    jumping-knowledge read-out: the sums over the nodes of every layer's states (sum, not
    mean, so that graph size, what node insertions and deletions change, stays visible),
    concatenated and mapped by an MLP to ``out_channels`` dimensions.

Sum aggregation and sum pooling make the embedding invariant to the order of the nodes:
isomorphic graphs embed identically (up to floating-point summation order). Node features
are built by :class:`cbred.learned.featurizer.GraphFeaturizer` (one-hot operation, depth and
height in the DAG).

References
----------
K. Xu, W. Hu, J. Leskovec and S. Jegelka, "How powerful are graph neural networks?",
ICLR 2019 (GIN, sum read-out of every layer).
K. Xu et al., "Representation learning on graphs with jumping knowledge networks",
ICML 2018.
M. Zhang, S. Jiang, Z. Cui, R. Garnett and Y. Chen, "D-VAE: a variational autoencoder for
directed acyclic graphs", NeurIPS 2019 (direction-aware encoders of neural architectures).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn
from torch_geometric.nn import MLP, GINConv, global_add_pool


class DirectedGINConv(nn.Module):
    """GIN over incoming and outgoing edges, summed.

    ``x'_v = MLP_in((1 + eps_in) x_v + sum_{u -> v} x_u) + MLP_out((1 + eps_out) x_v + sum_{v -> w} x_w)``

    Parameters
    ----------
    in_channels : int
        Node feature size.
    out_channels : int
        Output node feature size.
    train_eps : bool, default=True
        Learn the GIN ``eps`` of both directions.

    Shapes
    ------
    x : (num_nodes, in_channels); edge_index : (2, num_edges), row 0 = source
    -> (num_nodes, out_channels)
    """

    def __init__(self, in_channels: int, out_channels: int, *, train_eps: bool = True) -> None:
        super().__init__()
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.incoming = GINConv(_mlp(in_channels, out_channels), train_eps=train_eps)
        self.outgoing = GINConv(_mlp(in_channels, out_channels), train_eps=train_eps)

    def reset_parameters(self) -> None:
        self.incoming.reset_parameters()
        self.outgoing.reset_parameters()

    def forward(self, x: Tensor, edge_index: Tensor) -> Tensor:
        # GINConv aggregates along source -> target: predecessors; flipped: successors
        return self.incoming(x, edge_index) + self.outgoing(x, edge_index.flip(0))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.in_channels}, {self.out_channels})"


def _mlp(in_channels: int, out_channels: int) -> MLP:
    # no batch norm: an embedding must not depend on the other graphs of its batch
    return MLP([in_channels, out_channels, out_channels], norm=None, act="relu")


class GraphEncoder(nn.Module):
    """Embedding of a batch of computational graphs.

    Parameters
    ----------
    in_channels : int
        Node feature size (:attr:`cbred.learned.featurizer.GraphFeaturizer.num_features`).
    hidden_channels : int, default=64
        Node state size.
    out_channels : int, default=32
        Embedding dimension ``d``.
    num_layers : int, default=4
        Message-passing rounds (NB201 and NB101 cells have at most 8 nodes and paths of
        at most 6 edges).
    dropout : float, default=0.0
        Dropout of the node states after every layer (training only).

    Shapes
    ------
    x : (num_nodes, in_channels); edge_index : (2, num_edges); batch : (num_nodes,)
    graph of every node -> (num_graphs, out_channels)
    """

    def __init__(
        self,
        in_channels: int,
        hidden_channels: int = 64,
        out_channels: int = 32,
        num_layers: int = 4,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        for name, value in (("in_channels", in_channels), ("hidden_channels", hidden_channels),
                            ("out_channels", out_channels)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"GraphEncoder: {name} must be a positive int, got {value!r}")
        if not isinstance(num_layers, int) or num_layers < 0:
            raise ValueError(f"GraphEncoder: num_layers must be an int >= 0, got {num_layers!r}")
        if not 0.0 <= float(dropout) < 1.0:
            raise ValueError(f"GraphEncoder: dropout must be in [0, 1), got {dropout!r}")
        self.in_channels = in_channels
        self.hidden_channels = hidden_channels
        self.out_channels = out_channels
        self.num_layers = num_layers
        self.dropout = float(dropout)
        self.project = nn.Linear(in_channels, hidden_channels)
        self.convs = nn.ModuleList(
            DirectedGINConv(hidden_channels, hidden_channels) for _ in range(num_layers)
        )
        self.norms = nn.ModuleList(nn.LayerNorm(hidden_channels) for _ in range(num_layers))
        self.readout = MLP(
            [hidden_channels * (num_layers + 1), hidden_channels, out_channels], norm=None
        )

    def config(self) -> dict[str, Any]:
        """The constructor arguments: ``GraphEncoder(**encoder.config())`` rebuilds it."""
        return {
            "in_channels": self.in_channels,
            "hidden_channels": self.hidden_channels,
            "out_channels": self.out_channels,
            "num_layers": self.num_layers,
            "dropout": self.dropout,
        }

    def reset_parameters(self) -> None:
        self.project.reset_parameters()
        for conv, norm in zip(self.convs, self.norms):
            conv.reset_parameters()
            norm.reset_parameters()
        self.readout.reset_parameters()

    def forward(
        self, x: Tensor, edge_index: Tensor, batch: Tensor, num_graphs: int | None = None
    ) -> Tensor:
        """Embeddings of the graphs of a batch (see the class docstring for shapes).

        ``num_graphs`` is the number of graphs (default: ``batch.max() + 1``); pass it when
        the last graphs could be empty, and to avoid a device synchronisation.
        """
        h = self.project(x)
        states = [h]
        for conv, norm in zip(self.convs, self.norms):
            h = h + torch.relu(norm(conv(h, edge_index)))  # residual: deep stacks stay trainable
            h = nn.functional.dropout(h, p=self.dropout, training=self.training)
            states.append(h)
        pooled = [global_add_pool(state, batch, size=num_graphs) for state in states]
        return self.readout(torch.cat(pooled, dim=-1))

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.in_channels}, hidden={self.hidden_channels}, "
            f"out={self.out_channels}, layers={self.num_layers})"
        )
