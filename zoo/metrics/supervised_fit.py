"""The training loop the shipped measuring networks share (the voxel judge, the layouts segmenter):
Adam, a cosine decay of the learning rate to 0 over all steps, shuffled mini-batches per epoch, a
held-out evaluation after each epoch."""
from __future__ import annotations

import math
from collections.abc import Callable
from typing import TypeVar

import torch
from torch import Tensor, nn

Scores = TypeVar("Scores")


def fit(net: nn.Module, num_items: int, batch_loss: Callable[[Tensor], Tensor], evaluate: Callable[[], Scores], *,
        epochs: int, batch_size: int, lr: float, generator: torch.Generator,
        report: Callable[[int, float, Scores], None]) -> Scores:
    """Train `net` on items 0..num_items-1: `batch_loss(indices)` gives one mini-batch's loss (drawing
    its augmentations from `generator` after the epoch's shuffle), `evaluate()` the held-out scores,
    `report(epoch, last loss, scores)` logs them. Returns the last epoch's scores, `net` in eval mode."""
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    steps = epochs * math.ceil(num_items / batch_size)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.5 * (1 + math.cos(math.pi * s / steps)))
    scores = None
    for epoch in range(epochs):
        net.train()
        order = torch.randperm(num_items, generator=generator)
        for start in range(0, num_items, batch_size):
            loss = batch_loss(order[start:start + batch_size])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
        net.eval()
        scores = evaluate()
        report(epoch, loss.item(), scores)
    net.eval()
    return scores
