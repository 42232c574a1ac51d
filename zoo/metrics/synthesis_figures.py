"""The README's pictures of label-map-to-image models on `layouts` (SPADE, pix2pixHD):

- `layouts-comparison.png`: rows of held-out scenes; columns: the label map in the data set's palette, each
  model's synthesis (seed 0), the real render;
- `<model>-multimodal.png` (models with a latent): one map per row, then eight seeds;
- `<model>-style.png` (models with a style encoder): the first row shows style images (held-out renders),
  each later row a label map (left) synthesised in each style.
"""
from __future__ import annotations

from pathlib import Path

import torch

from zoo.images import save_grid


def _palette_map(label_maps):
    from zoo.data.layouts import PALETTE
    from zoo.data.show import colourise

    return torch.stack([colourise(m, PALETTE) * 2 - 1 for m in label_maps])


@torch.no_grad()
def draw(models: dict, out: str | Path, scenes: int = 6, seeds: int = 8, styles: int = 5, scale: int = 2) -> list[Path]:
    from zoo.data.layouts import Layouts

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    val = Layouts(64, "val", size=64).tensors()
    maps, real = val["label_map"][:scenes], val["image"][:scenes]
    columns = [_palette_map(maps)] + [m.synthesize(maps, seed=0).cpu().clamp(-1, 1) for m in models.values()] + [real]
    grid = torch.stack(columns, 1).flatten(0, 1)  # row-major: one scene per row
    written = [_save(grid, out / "layouts-comparison.png", len(columns), scale)]
    for name, model in models.items():
        short = name.split(".")[0]
        if model.sampler.latent is not None:
            rows = [torch.cat([_palette_map(maps[i:i + 1]),
                               torch.cat([model.synthesize(maps[i:i + 1], seed=s).cpu() for s in range(seeds)])])
                    for i in range(3)]
            written.append(_save(torch.cat(rows), out / f"{short}-multimodal.png", seeds + 1, scale))
        if "encoder" in model.components:
            style_images = val["image"][32:32 + styles]
            rows = [torch.cat([torch.full((1, 3, 64, 64), 1.0), style_images])]
            for i in range(3):
                made = [model.synthesize(maps[i:i + 1], seed=0, style=style_images[j:j + 1]).cpu() for j in range(styles)]
                rows.append(torch.cat([_palette_map(maps[i:i + 1])] + made))
            written.append(_save(torch.cat(rows), out / f"{short}-style.png", styles + 1, scale))
    return written


def _save(images, path: Path, nrow: int, scale: int) -> Path:
    if scale > 1:
        images = torch.nn.functional.interpolate(images, scale_factor=float(scale), mode="nearest")
    save_grid(images.clamp(-1, 1), path, nrow=nrow)
    return path
