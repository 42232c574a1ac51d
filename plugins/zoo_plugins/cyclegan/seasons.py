"""`layouts-seasons`: two unpaired domains the bundled data can honestly give CycleGAN: the `layouts`
scenes as rendered (summer, domain A) and the same kind of scenes in a winter palette (domain B).

Winter is a per-class recolouring of the summer render, so every summer scene has a true winter
counterpart that the evaluation (and only the evaluation) can use: grass and mountains under snow
(bright, bluish white keeping a trace of the texture), trees darker and desaturated, water frozen to a
pale cyan, an overcast sky (the render's brightness on grey), roads and buildings unchanged.

Training items pair the summer render of scene i with the winter render of a *different* scene (the
second half of the scenes): the two halves are unpaired. Items: {"image": A (3, R, R), "image_b": B
(3, R, R), "image_b_true": the winter counterpart of "image" (for evaluation), "label_map" (of "image")},
all in [-1, 1].
"""
from __future__ import annotations

import torch
from torch import Tensor

from zoo.data.base import InMemoryDataset, check_positive, check_split
from zoo.data.layouts import BUILDING, CLASSES, GRASS, MOUNTAIN, PALETTE, ROAD, SKY, TREE, WATER, Layouts
from zoo.data.shapes import SampleShape


def winter(image: Tensor, label_map: Tensor) -> Tensor:
    """(N, 3, H, W) summer renders in [-1, 1] and their label maps (N, H, W) -> winter renders in [-1, 1]."""
    x = (image + 1) / 2
    grey = (0.299 * x[:, 0] + 0.587 * x[:, 1] + 0.114 * x[:, 2])[:, None]
    snow = (0.78 + 0.25 * (grey - grey.mean((1, 2, 3), keepdim=True))).clamp(0, 1) * torch.tensor([0.93, 0.96, 1.0]).view(1, 3, 1, 1)
    bare_tree = 0.6 * (0.5 * x + 0.5 * grey)
    ice = (0.55 + 0.3 * grey) * torch.tensor([0.8, 0.95, 1.0]).view(1, 3, 1, 1)
    overcast = 0.35 + 0.5 * grey.expand_as(x)
    out = x.clone()
    for cls, colour in ((GRASS, snow), (MOUNTAIN, snow), (TREE, bare_tree), (WATER, ice), (SKY, overcast)):
        out = torch.where((label_map == cls)[:, None], colour, out)
    assert ROAD not in (GRASS, SKY) and BUILDING not in (GRASS, SKY)  # roads and buildings stay as they are
    return out.clamp(0, 1) * 2 - 1


class LayoutsSeasons(InMemoryDataset):
    """Summer (A) and winter (B) layouts renders; train items are unpaired (scene i with scene i + size)."""

    sample_shape = SampleShape(channels=(3,), default_resolution=64)
    num_classes, class_names, palette = len(CLASSES), CLASSES, PALETTE  # of "label_map", as Layouts

    def __init__(self, resolution: int = 64, split: str = "train", seed: int = 0, size: int | None = None) -> None:
        self.resolution = check_positive("resolution", resolution)
        self.split, self.seed = check_split(split), seed
        super().__init__(size if size is not None else (256 if split == "train" else 64))

    def _build(self) -> dict[str, Tensor]:
        # 2 × size scenes: the first half gives A, the second half B
        scenes = Layouts(self.resolution, self.split, self.seed, size=2 * self.size).tensors()
        image, labels = scenes["image"], scenes["label_map"]
        cold = winter(image, labels)
        n = self.size
        return {"image": image[:n], "label_map": labels[:n], "image_b_true": cold[:n], "image_b": cold[n:]}
