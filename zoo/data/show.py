"""One picture of a dataset that a person can look at (`zoo data show`).

Each item becomes a cell of panels side by side, chosen from the keys it has:
low_res | image (super-resolution), masked | mask | image (inpainting), label map | image (layouts),
a shaded isometric rendering (voxels), or the image alone; under it its caption, class name or label,
when PIL's default font is available. A header line names the dataset and the panels.
"""
from __future__ import annotations

import math
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor

BACKGROUND = (255, 255, 255)
GAP = 2


def to_rgb(image: Tensor, value_range=(-1.0, 1.0)) -> Tensor:
    """(C, H, W) image in `value_range` -> (3, H, W) in [0, 1]."""
    lo, hi = value_range
    image = ((image.float() - lo) / (hi - lo)).clamp(0, 1)
    return image.expand(3, -1, -1) if image.shape[0] == 1 else image[:3]


def colourise(label_map: Tensor, palette) -> Tensor:
    """(H, W) class indices -> (3, H, W) in [0, 1] with one colour per class."""
    colours = torch.tensor(palette, dtype=torch.float32) / 255.0
    return colours[label_map.long().clamp(0, len(colours) - 1)].permute(2, 0, 1)


def render_voxels(voxels: Tensor, size: int = 64) -> Tensor:
    """(1, D, H, W) occupancy -> (3, size, size) in [0, 1]: the isometric view of zoo.voxel_render (the one
    renderer of the core), tinted blue on a dark field."""
    from zoo.voxel_render import render_voxels as shaded

    grey = shaded(voxels, size, background=-1.0)[0]  # -1 marks the rays that miss the shape
    colour = torch.tensor([0.55, 0.7, 1.0])[:, None, None] * grey.clamp_min(0)
    return torch.where(grey >= 0, colour, torch.full_like(colour, 0.08))


def item_panels(item: dict, dataset) -> tuple[list[Tensor], list[str]]:
    """The (3, H, W) [0, 1] panels of one item and their names."""
    value_range = getattr(dataset, "value_range", (-1.0, 1.0))
    if "voxels" in item:
        return [render_voxels(item["voxels"])], ["voxels (isometric)"]
    panels, names = [], []
    if "low_res" in item:
        panels.append(to_rgb(item["low_res"])), names.append("low_res")
    if "masked" in item:
        panels += [to_rgb(item["masked"]), to_rgb(item["mask"], (0.0, 1.0))]
        names += ["masked", "mask (1 = hole)"]
    if "label_map" in item:
        panels.append(colourise(item["label_map"], dataset.palette)), names.append("label map")
    panels.append(to_rgb(item["image"], value_range)), names.append("image")
    return panels, names


def _text(item: dict, dataset) -> str:
    if "caption" in item:
        return item["caption"]
    if "label" in item:
        label = int(item["label"])
        names = getattr(dataset, "class_names", None)
        return names[label] if names else str(label)
    return ""


def _to_pil(image: Tensor):
    from PIL import Image

    array = (image.clamp(0, 1) * 255 + 0.5).byte().permute(1, 2, 0).numpy()
    return Image.fromarray(array, mode="RGB")


def _font():
    try:
        from PIL import ImageFont

        return ImageFont.load_default()
    except Exception:  # no font: pictures without text
        return None


def _wrap(text: str, font, width: int, draw) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        trial = f"{line} {word}".strip()
        if line and draw.textlength(trial, font=font) > width:
            lines.append(line)
            line = word
        else:
            line = trial
    return lines + ([line] if line else [])


def render(dataset, n: int = 16, title: str = ""):
    """A PIL image of the first `n` items of `dataset`."""
    from PIL import Image, ImageDraw

    n = min(n, len(dataset))
    if n < 1:
        raise ValueError("nothing to show: the dataset is empty or n < 1")
    items = [dataset[i] for i in range(n)]
    cells = [item_panels(item, dataset) for item in items]
    height = max(p.shape[1] for panels, _ in cells for p in panels)
    scale = max(1, math.ceil(96 / height))  # small images are enlarged (nearest) to be seen
    height *= scale
    rows_of_panels = []
    for panels, _ in cells:
        rows_of_panels.append([F.interpolate(p[None], size=(height, round(p.shape[2] * height / p.shape[1])),
                                             mode="nearest")[0] for p in panels])
    cell_w = max(sum(p.shape[2] for p in ps) + GAP * (len(ps) - 1) for ps in rows_of_panels)
    font = _font()
    probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    texts = [_text(item, dataset) if font else "" for item in items]
    wrapped = [_wrap(t, font, cell_w, probe) if t else [] for t in texts]
    line_h = 12
    text_h = line_h * max((len(w) for w in wrapped), default=0)
    cell_h = height + text_h
    cols = max(1, min(n, round(math.sqrt(n * cell_h / cell_w))))
    rows = math.ceil(n / cols)
    header_h = 16 if font and title else 0
    sheet = Image.new("RGB", (cols * (cell_w + 3 * GAP) + 3 * GAP, header_h + rows * (cell_h + 3 * GAP) + 3 * GAP),
                      BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    if header_h:
        names = " | ".join(cells[0][1])
        draw.text((3 * GAP, 2), f"{title}: {names}", fill=(0, 0, 0), font=font)
    for i, panels in enumerate(rows_of_panels):
        r, c = divmod(i, cols)
        x, y = 3 * GAP + c * (cell_w + 3 * GAP), header_h + 3 * GAP + r * (cell_h + 3 * GAP)
        for p in panels:
            sheet.paste(_to_pil(p), (x, y))
            x += p.shape[2] + GAP
        for k, line in enumerate(wrapped[i]):
            draw.text((3 * GAP + c * (cell_w + 3 * GAP), y + height + k * line_h), line, fill=(0, 0, 0), font=font)
    return sheet


def show_dataset(name: str, output: str | Path, split: str = "val", n: int = 16, resolution: int | None = None,
                 seed: int = 0, root: str | None = None) -> Path:
    """Write one PNG of the first `n` items of a registered dataset's split."""
    from zoo.data import build_dataset

    required = {"split": split, "seed": seed}
    required.update({k: v for k, v in (("resolution", resolution), ("root", root)) if v is not None})
    dataset = build_dataset(name, {"size": n}, **required)  # procedural sets build only n items
    image = render(dataset, n, title=f"{name} ({split})")
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    image.save(output)
    return output
