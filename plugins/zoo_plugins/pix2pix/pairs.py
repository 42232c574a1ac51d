"""The paired domains pix2pix trains on here: `layouts` label maps shown in their colours (domain A) and
the rendered scenes (domain B), as the facades data set pairs coloured label pictures with photographs.

A label map enters the network as a picture, each class painted in its `zoo.data.layouts.PALETTE`
colour scaled to [-1, 1]; a picture the network gives back is read as a label map by taking, per pixel,
the palette colour nearest in RGB (so renders -> labels is scored by pixel accuracy and mIoU).
"""
from __future__ import annotations

from typing import Mapping

import torch
from torch import Tensor

from zoo.data.layouts import PALETTE

PAIRINGS = ("labels2renders", "renders2labels")


def palette_tensor() -> Tensor:
    """(K, 3) the class colours in [-1, 1]."""
    return torch.tensor(PALETTE, dtype=torch.float32) / 127.5 - 1


def label_colors(label_map: Tensor) -> Tensor:
    """(N, H, W) class indices -> (N, 3, H, W) their palette colours in [-1, 1]."""
    return palette_tensor().to(label_map.device)[label_map.long()].permute(0, 3, 1, 2)


def nearest_labels(image: Tensor) -> Tensor:
    """(N, 3, H, W) in [-1, 1] -> (N, H, W) the index of the nearest palette colour per pixel."""
    colours = palette_tensor().to(image)
    distance = ((image[:, None] - colours[None, :, :, None, None]) ** 2).sum(2)  # (N, K, H, W)
    return distance.argmin(1)


def paired_images(batch: Mapping[str, Tensor], pairing: str) -> tuple[Tensor, Tensor]:
    """(A, B): the network's input and its target for one batch of `layouts` (or of any data set with
    `source` and `image`: a user's own pairs)."""
    if "source" in batch:
        return batch["source"], batch["image"]
    if pairing not in PAIRINGS:
        raise ValueError(f"pairing must be one of {', '.join(PAIRINGS)}, got {pairing!r}")
    colours = label_colors(batch["label_map"]).to(batch["image"])
    return (colours, batch["image"]) if pairing == "labels2renders" else (batch["image"], colours)


def pixel_scores(predicted: Tensor, target: Tensor, num_classes: int) -> dict[str, float]:
    """Pixel accuracy and mean IoU over the classes present in the target or the prediction."""
    accuracy = (predicted == target).double().mean().item()
    ious = []
    for k in range(num_classes):
        p, t = predicted == k, target == k
        union = (p | t).sum().item()
        if union:
            ious.append((p & t).sum().item() / union)
    return {"pixel_accuracy": accuracy, "miou": sum(ious) / len(ious)}
