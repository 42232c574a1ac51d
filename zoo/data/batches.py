"""An endless, seeded stream of shuffled mini-batches over in-memory tensors."""
from __future__ import annotations

from typing import Iterator, Mapping

import torch
from torch import Tensor


class TensorBatches:
    """Yields dicts of aligned tensor slices, reshuffled each epoch with a seeded generator.

    The state (epoch, position and generator) is small and restorable, so a resumed run sees the
    same batches as an uninterrupted one. `batch_size` may change between draws (a trainer following
    a batch-size schedule sets it from the step, so a resumed run draws the same batches too).
    """

    def __init__(self, tensors: Mapping[str, Tensor], batch_size: int, seed: int = 0, drop_last: bool = True):
        sizes = {len(t) for t in tensors.values()}
        if len(sizes) != 1:
            raise ValueError(f"all tensors need the same length, got {sizes}")
        self.tensors, self.drop_last = dict(tensors), drop_last
        self.n = sizes.pop()
        self.batch_size = batch_size
        self.generator = torch.Generator().manual_seed(seed)
        self.order = torch.randperm(self.n, generator=self.generator)
        self.position = 0

    @property
    def batch_size(self) -> int:
        return self._batch_size

    @batch_size.setter
    def batch_size(self, value: int) -> None:
        if not 1 <= value <= self.n:
            raise ValueError(f"batch size {value} must be between 1 and the dataset's {self.n} examples")
        self._batch_size = int(value)

    def __iter__(self) -> Iterator[dict[str, Tensor]]:
        return self

    def __next__(self) -> dict[str, Tensor]:
        end = self.position + self.batch_size
        if end > self.n:
            self.order = torch.randperm(self.n, generator=self.generator)
            self.position, end = 0, self.batch_size
        idx = self.order[self.position:end]
        self.position = end
        return {k: v[idx] for k, v in self.tensors.items()}

    def state_dict(self) -> dict:
        return {"generator": self.generator.get_state(), "order": self.order.clone(), "position": self.position}

    def load_state_dict(self, state: dict) -> None:
        if len(state["order"]) != self.n:  # e.g. a resume with another --data-size: other items, other batches
            raise ValueError(f"the checkpoint's batches were drawn from {len(state['order'])} examples, this "
                             f"dataset has {self.n}: resume with the dataset options of the first run")
        self.generator.set_state(state["generator"])
        self.order, self.position = state["order"].clone(), state["position"]
