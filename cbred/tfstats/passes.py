"""The passes statistics read of a probe network, shared by the statistics of one network and batch.

Several statistics read the same training-mode forward pass of a network over one input batch:
its logits, the activation codes of its ReLUs, the outputs of its blocks, its feature maps,
and backward passes through that pass's graph. A statistic asks ``passes_of(network, batch)``
for them. Inside ``sharing(network, batch)`` (the runner's evaluation of one repeat),
:class:`SharedPasses` runs the forward pass once, recording everything any statistic reads,
keeps its graph for the backward passes that follow and memoises values derived from it
(:meth:`Passes.memo`). Anywhere else, :class:`SeparatePasses` runs a pass of its own for every
request, recording only what was asked: the reference the shared path is tested and timed
against.

Both give the same values: in training mode a forward pass depends on the parameters and the
batch only (batch normalisation normalises with the batch's own statistics; the running
statistics it updates are read by no statistic), and statistics leave the parameters unchanged
(:class:`cbred.tfstats.registry.Statistic`).
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor, nn

from cbred.registry import Registry
from cbred.tfstats._layers import feature_blocks
from cbred.tfstats.images import ImageBatch


@dataclass(frozen=True)
class Recording:
    """What a forward pass keeps of some modules: ``keep(output, inputs)`` of each of ``modules(network)``.

    ``keep`` returns ``None`` for an output that is not kept. A recording that cannot name its
    modules in a network (``modules`` raises) fails only the statistics that read it.
    """

    modules: Callable[[nn.Module], list[nn.Module]]
    keep: Callable[[Any, tuple], Tensor | None]


#: What a forward pass can record, by name; a statistic names the recordings it reads.
RECORDINGS: Registry[Recording] = Registry("recording")

#: Binary activation codes ``x > 0`` of the input of every ``nn.ReLU``, flattened per sample
#: ``(B, units)`` (bool: a quarter of the memory of the inputs themselves).
RECORDINGS["relu_codes"] = Recording(
    lambda network: [m for m in network.modules() if isinstance(m, nn.ReLU)],
    lambda output, inputs: inputs[0].detach().flatten(1) > 0,
)
#: Outputs of the stem and of every block (:func:`~cbred.tfstats._layers.feature_blocks`),
#: graph kept (AZ-NAS back-propagates between them).
RECORDINGS["block_outputs"] = Recording(feature_blocks, lambda output, inputs: output)
#: The first input's map ``(C, H, W)`` of every module whose output is a 4-D feature map with
#: two channels or more, in the order the modules finish (MeCo). A copy: a module's output
#: can be the tensor another module returns.
RECORDINGS["first_maps"] = Recording(
    lambda network: list(network.modules()),
    lambda output, inputs: (
        output[0].detach().clone()
        if isinstance(output, Tensor) and output.dim() == 4 and output.shape[1] >= 2
        else None
    ),
)


@dataclass
class ForwardPass:
    """One training-mode forward pass of a batch: inputs, logits and recordings.

    ``pass_[name]`` is the list a recording kept (raises the recording's error when it could
    not be made for this network).
    """

    inputs: Tensor
    logits: Tensor
    records: dict[str, list[Tensor] | Exception] = field(default_factory=dict)

    def __getitem__(self, name: str) -> list[Tensor]:
        record = self.records[name]
        if isinstance(record, Exception):
            raise record
        return record


def forward_pass(
    network: nn.Module, batch: ImageBatch, reads: Sequence[str], *, graph: bool, input_grad: bool
) -> ForwardPass:
    """Run ``network`` in training mode on ``batch``, recording ``reads`` (names in :data:`RECORDINGS`).

    ``graph`` keeps the autograd graph (backward passes follow); ``input_grad`` makes the
    inputs a leaf that requires gradients (a copy of ``batch.inputs``).
    """
    records: dict[str, list[Tensor] | Exception] = {}
    handles = []

    def recorder(kept: list[Tensor], keep: Callable) -> Callable:
        def hook(module: nn.Module, inputs: tuple, output: Any) -> None:
            value = keep(output, inputs)
            if value is not None:
                kept.append(value)

        return hook

    inputs = batch.inputs.clone().requires_grad_(True) if input_grad else batch.inputs
    try:
        for name in reads:
            recording = RECORDINGS[name]
            try:
                modules = recording.modules(network)
            except Exception as error:  # only the statistics reading this recording fail
                records[name] = error
                continue
            kept: list[Tensor] = []
            records[name] = kept
            handles.extend(m.register_forward_hook(recorder(kept, recording.keep)) for m in modules)
        network.train()
        with torch.set_grad_enabled(graph or input_grad):
            logits = network(inputs)
    finally:
        for handle in handles:
            handle.remove()
    return ForwardPass(inputs, logits, records)


class Passes(abc.ABC):
    """The passes of one network over one batch that statistics request.

    Parameters
    ----------
    network : nn.Module
    batch : ImageBatch
    """

    def __init__(self, network: nn.Module, batch: ImageBatch) -> None:
        self.network = network
        self.batch = batch

    @abc.abstractmethod
    def forward(self, *reads: str, graph: bool = False, input_grad: bool = False) -> ForwardPass:
        """A training-mode forward pass recording ``reads`` (see :func:`forward_pass`)."""

    @abc.abstractmethod
    def batched_grads(self, outputs: Tensor, inputs: Sequence[Tensor], grad_outputs: Tensor) -> tuple[Tensor, ...]:
        """Gradients of ``outputs`` w.r.t. ``inputs`` for each row of ``grad_outputs``.

        A vector-Jacobian product per row (``grad_outputs[k]`` has the shape of ``outputs``);
        each result has a leading dimension of ``len(grad_outputs)``; unused inputs get zeros.
        The graph is kept.
        """

    @abc.abstractmethod
    def memo(self, key: str, compute: Callable[[], Any]) -> Any:
        """``compute()``, computed once per key where passes are shared."""


class SeparatePasses(Passes):
    """Every request runs its own passes, as if no other statistic were measured."""

    def forward(self, *reads: str, graph: bool = False, input_grad: bool = False) -> ForwardPass:
        return forward_pass(self.network, self.batch, reads, graph=graph, input_grad=input_grad)

    def batched_grads(self, outputs: Tensor, inputs: Sequence[Tensor], grad_outputs: Tensor) -> tuple[Tensor, ...]:
        # autograd's own batching (the legacy vmap): it falls back to one backward
        # convolution per row, the reference the shared path's functorch vmap is checked against
        return torch.autograd.grad(
            outputs, list(inputs), grad_outputs=grad_outputs, is_grads_batched=True,
            retain_graph=True, allow_unused=True, materialize_grads=True,
        )

    def memo(self, key: str, compute: Callable[[], Any]) -> Any:
        return compute()


class SharedPasses(Passes):
    """One forward pass for all requests (every recording, graph and input gradients kept)."""

    def __init__(self, network: nn.Module, batch: ImageBatch) -> None:
        super().__init__(network, batch)
        self._memo: dict[str, Any] = {}

    def forward(self, *reads: str, graph: bool = False, input_grad: bool = False) -> ForwardPass:
        return self.memo(
            "passes.forward",
            lambda: forward_pass(self.network, self.batch, list(RECORDINGS), graph=True, input_grad=True),
        )

    def batched_grads(self, outputs: Tensor, inputs: Sequence[Tensor], grad_outputs: Tensor) -> tuple[Tensor, ...]:
        # functorch's vmap batches the backward operations themselves (one convolution for
        # all rows) where autograd's own batching loops over the rows
        def row(grad_output: Tensor) -> tuple[Tensor, ...]:
            return torch.autograd.grad(
                outputs, list(inputs), grad_outputs=grad_output,
                retain_graph=True, allow_unused=True, materialize_grads=True,
            )

        return torch.func.vmap(row)(grad_outputs)

    def memo(self, key: str, compute: Callable[[], Any]) -> Any:
        # a failure is kept too: every statistic that reads the value fails alike, at no cost
        if key not in self._memo:
            try:
                self._memo[key] = compute()
            except Exception as error:
                self._memo[key] = error
        value = self._memo[key]
        if isinstance(value, Exception):
            raise value
        return value


#: The shared passes of the evaluation in progress (see :func:`sharing`).
_SHARED: ContextVar[SharedPasses | None] = ContextVar("cbred_tfstats_shared_passes", default=None)


@contextmanager
def sharing(network: nn.Module, batch: ImageBatch) -> Iterator[SharedPasses]:
    """Within the block, the statistics of ``network`` on ``batch`` share their passes.

    The passes (and the graph they keep) are released when the block ends.
    """
    shared = SharedPasses(network, batch)
    token = _SHARED.set(shared)
    try:
        yield shared
    finally:
        _SHARED.reset(token)


def passes_of(network: nn.Module, batch: ImageBatch) -> Passes:
    """The passes a statistic of ``network`` on ``batch`` reads: shared inside :func:`sharing`."""
    shared = _SHARED.get()
    if shared is not None and shared.network is network and shared.batch is batch:
        return shared
    return SeparatePasses(network, batch)
