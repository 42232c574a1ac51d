"""`layouts`: procedural outdoor scenes as semantic label maps paired with rendered, textured images.

Paired data for label-map-to-image models: SPADE (Park, Liu, Wang, Zhu, "Semantic Image Synthesis with
Spatially-Adaptive Normalization", CVPR 2019, arXiv:1903.07291) and pix2pix (Isola, Zhu, Zhou, Efros,
"Image-to-Image Translation with Conditional Adversarial Networks", CVPR 2017, arXiv:1611.07004), whose
real benchmarks (COCO-Stuff, ADE20K, Cityscapes) cannot be shipped. A scene is a horizon with sky above
and grass below, then, each at random, mountains behind the horizon, a lake or the sea, a road running
to a vanishing point, buildings standing on the horizon and trees; the label map is drawn first, then
each class is painted with its own procedural texture (fractal value noise, a sky gradient with clouds,
ripples on water, windows on buildings, dashes on the road), so the image is a function of the layout
plus texture noise, as a photo is of its segmentation plus appearance.

Items: {"image": float (3, R, R) in [-1, 1];
        "label_map": long (R, R), class indices into CLASSES;
        "segmentation": float (K, R, R), the one-hot label map in {0, 1}, K = len(CLASSES)}.
Training scenes follow `seed`; validation ones are fixed. Default: 256 training / 64 validation scenes.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from zoo.data.base import InMemoryDataset, check_positive, check_split, item_rng
from zoo.data.shapes import SampleShape

CLASSES = ("sky", "mountain", "grass", "water", "road", "building", "tree")
# colours for showing label maps (not the rendered appearance)
PALETTE = ((70, 130, 180), (140, 100, 80), (107, 142, 35), (0, 80, 200), (128, 64, 128), (220, 180, 40),
           (0, 100, 0))
SKY, MOUNTAIN, GRASS, WATER, ROAD, BUILDING, TREE = range(len(CLASSES))


def fractal_noise(size: int, rng: np.random.Generator, octaves: int = 4, base: int = 4) -> Tensor:
    """(size, size) value noise in about [-1, 1]: bilinearly upsampled random grids, halving per octave."""
    total, amplitude, norm = torch.zeros(size, size), 1.0, 0.0
    for o in range(octaves):
        cells = min(base * 2 ** o, size)
        grid = torch.from_numpy(rng.uniform(-1, 1, size=(1, 1, cells + 1, cells + 1)).astype(np.float32))
        up = F.interpolate(grid, size=(size, size), mode="bilinear", align_corners=True)[0, 0]
        total, norm, amplitude = total + amplitude * up, norm + amplitude, amplitude / 2
    return total / norm


def _draw_scene(r: int, rng: np.random.Generator):
    """Label map and per-pixel base colour (uint8 arrays), drawn with PIL."""
    from PIL import Image, ImageDraw

    labels = Image.new("L", (r, r), GRASS)
    colours = Image.new("RGB", (r, r), (0, 0, 0))
    lab, col = ImageDraw.Draw(labels), ImageDraw.Draw(colours)

    def fill(shape: str, xy, cls: int, colour) -> None:
        getattr(lab, shape)(xy, fill=cls)
        getattr(col, shape)(xy, fill=tuple(int(c) for c in colour))

    def jitter(colour, amount=20):
        return np.clip(np.array(colour) + rng.integers(-amount, amount + 1, size=3), 0, 255)

    horizon = int(r * rng.uniform(0.35, 0.6))
    fill("rectangle", (0, 0, r, horizon), SKY, (0, 0, 0))  # the sky's colour is a gradient, painted later
    fill("rectangle", (0, horizon, r, r), GRASS, jitter((70, 130, 45)))
    if rng.random() < 0.6:  # a mountain ridge: a smoothed random walk above the horizon
        xs = np.linspace(0, r, 9)
        heights = np.clip(np.cumsum(rng.normal(0, 0.08, 9)) + rng.uniform(0.1, 0.3), 0.03, 0.45) * r
        ridge = [(float(x), float(horizon - h)) for x, h in zip(xs, heights)]
        fill("polygon", ridge + [(r, horizon), (0, horizon)], MOUNTAIN, jitter((110, 100, 110)))
    water = rng.random()
    if water < 0.25:  # the sea: a band from the horizon down
        depth = int(r * rng.uniform(0.1, 0.3))
        fill("rectangle", (0, horizon, r, horizon + depth), WATER, jitter((30, 80, 160)))
    elif water < 0.55:  # a lake
        cx, cy = rng.uniform(0.15, 0.85) * r, rng.uniform(horizon + 0.1 * r, 0.9 * r)
        w, h = rng.uniform(0.15, 0.35) * r, rng.uniform(0.05, 0.12) * r
        fill("ellipse", (cx - w, cy - h, cx + w, cy + h), WATER, jitter((30, 80, 160)))
    if rng.random() < 0.5:  # a road narrowing to a vanishing point on the horizon
        vanish, bottom = rng.uniform(0.2, 0.8) * r, rng.uniform(0.2, 0.8) * r
        half_bottom, half_top = rng.uniform(0.12, 0.25) * r, rng.uniform(0.005, 0.02) * r
        fill("polygon", [(bottom - half_bottom, r), (bottom + half_bottom, r), (vanish + half_top, horizon),
                         (vanish - half_top, horizon)], ROAD, jitter((80, 80, 85), 10))
        for k in range(0, 8, 2):  # pale dashes along the centre line, painted on the colours only
            a, b = k / 8, (k + 1) / 8
            col.line([(bottom + (vanish - bottom) * a, r + (horizon - r) * a),
                      (bottom + (vanish - bottom) * b, r + (horizon - r) * b)],
                     fill=(220, 220, 200), width=max(1, r // 64))
    for _ in range(rng.integers(0, 5)):  # buildings standing on the horizon
        w, h = rng.uniform(0.06, 0.18) * r, rng.uniform(0.1, 0.35) * r
        x, base = rng.uniform(0, r - w), horizon + rng.uniform(0, 0.04) * r
        fill("rectangle", (x, base - h, x + w, base), BUILDING,
             jitter([(150, 80, 60), (170, 170, 160), (200, 190, 150)][rng.integers(3)]))
    for _ in range(rng.integers(0, 6)):  # trees, larger when nearer (lower in the picture)
        base = rng.uniform(horizon + 0.02 * r, r)
        scale = (base - horizon) / (r - horizon + 1e-6) * 0.15 * r + 0.03 * r
        x = rng.uniform(0, r)
        trunk_w, trunk_h = max(scale * 0.15, 0.5), scale * 0.8
        fill("rectangle", (x - trunk_w, base - trunk_h, x + trunk_w, base), TREE, jitter((90, 60, 30)))
        cy = base - trunk_h - scale * 0.6
        fill("ellipse", (x - scale * 0.6, cy - scale * 0.8, x + scale * 0.6, cy + scale * 0.8), TREE,
             jitter((30, 100, 30)))
    return np.asarray(labels, dtype=np.int64).copy(), np.asarray(colours, dtype=np.float32) / 255.0, horizon


def render_scene(r: int, rng: np.random.Generator) -> tuple[Tensor, Tensor]:
    """A label map (R, R) long and its textured image (3, R, R) in [0, 1]."""
    labels, base, horizon = _draw_scene(r, rng)
    label_map = torch.from_numpy(labels)
    base = torch.from_numpy(base).permute(2, 0, 1)
    ys = torch.arange(r, dtype=torch.float32)[:, None].expand(r, r)
    xs = torch.arange(r, dtype=torch.float32)[None, :].expand(r, r)
    coarse, fine = fractal_noise(r, rng, octaves=4, base=3), fractal_noise(r, rng, octaves=3, base=max(r // 8, 2))

    image = base * (1 + 0.25 * coarse + 0.15 * fine)  # every class: its colour, modulated by noise
    # sky: a gradient from deep blue to pale at the horizon, with clouds where coarse noise is high
    t = (ys / max(horizon, 1)).clamp(0, 1)
    sky = torch.stack([0.25 + 0.45 * t, 0.45 + 0.4 * t, 0.85 + 0.1 * t])
    cloud = ((coarse - 0.15) * 3).clamp(0, 1)
    sky = sky * (1 - cloud) + 0.95 * cloud
    # water: horizontal ripples and a lighter reflection of the sky
    ripple = torch.sin(ys * 1.7 + 3 * fine) * 0.08
    water = base * (1 + ripple) + 0.1
    # buildings: a grid of lit or dark windows
    period = max(r // 16, 3)
    windows = ((xs % period) < period / 2) & ((ys % period) < period / 2)
    building = torch.where(windows, 0.35 + 0.5 * (fine > 0).float(), base * (1 + 0.1 * fine))
    # road: fine grain over the grey and the dashes
    road = base * (1 + 0.3 * fine)
    for cls, texture in ((SKY, sky), (WATER, water), (BUILDING, building), (ROAD, road)):
        image = torch.where(label_map == cls, texture, image)
    image = image * rng.uniform(0.85, 1.15)  # scene lighting
    return label_map, image.clamp(0, 1)


class Layouts(InMemoryDataset):
    """Procedural scenes: label maps and their rendered images."""

    num_classes = len(CLASSES)
    class_names = CLASSES
    palette = PALETTE
    sample_shape = SampleShape(channels=(3,), default_resolution=64)

    def __init__(self, resolution: int = 64, split: str = "train", seed: int = 0, size: int | None = None) -> None:
        self.resolution = check_positive("resolution", resolution)
        if resolution < 16:
            raise ValueError(f"layouts need at least 16 px, got {resolution}")
        self.split, self.seed = check_split(split), seed
        super().__init__(size if size is not None else (256 if split == "train" else 64))

    def _build(self) -> dict[str, Tensor]:
        maps, images = zip(*(render_scene(self.resolution, item_rng("layouts", self.split, self.seed, i))
                             for i in range(self.size)))
        label_map = torch.stack(maps)
        one_hot = F.one_hot(label_map, len(CLASSES)).permute(0, 3, 1, 2).float()
        return {"image": torch.stack(images) * 2 - 1, "label_map": label_map, "segmentation": one_hot}
