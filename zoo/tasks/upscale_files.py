"""`upscale` on picture files of any kind: RGB, greyscale and images with an alpha channel, one file or a
folder of them (`zoo upscale NAME IN -o OUT`).

A greyscale picture goes through an RGB model as three equal channels and comes back as the mean of the
three (a greyscale file). An alpha channel is kept: the colours are upscaled, and the alpha plane is
upscaled by the same model as a grey picture (Real-ESRGAN's default, `alpha_upsampler="realesrgan"`), then
clamped to [0, 255]; a one-channel model takes grey pictures as they are. Pictures are saved as 8-bit
PNG/JPEG in their own mode (L, LA, RGB, RGBA).
"""
from __future__ import annotations

from pathlib import Path

import torch
from torch import Tensor

from zoo.errors import ZooError

PICTURE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff")


def _to_model(plane: Tensor, channels: int, value_range) -> Tensor:
    """(1, k, H, W) in [0, 1] -> the model's channel count and input range."""
    if channels == 3 and plane.shape[1] == 1:
        plane = plane.expand(-1, 3, -1, -1)
    lo, hi = value_range
    return plane * (hi - lo) + lo


def _from_model(out: Tensor, channels: int, value_range) -> Tensor:
    lo, hi = value_range
    unit = ((out.float() - lo) / (hi - lo)).clamp(0, 1)
    return unit.mean(1, keepdim=True) if channels == 1 else unit


def upscale_picture(model, picture, *, tile: int | None, overlap: int, seed: int | None = None,
                    progress: bool = False):
    """A PIL picture (L, LA, RGB, RGBA, P, ...) -> the upscaled PIL picture in the same family of modes."""
    import numpy as np
    from PIL import Image

    from zoo.tasks.checks import input_range

    g = model.sampler
    shape = g.condition.shape
    model_channels = shape[0] if shape and isinstance(shape[0], int) else 3
    has_alpha = picture.mode in ("RGBA", "LA", "PA") or (picture.mode == "P" and "transparency" in picture.info)
    grey = picture.mode in ("L", "LA", "I", "I;16", "1")
    picture = picture.convert(("LA" if grey else "RGBA") if has_alpha else ("L" if grey else "RGB"))
    array = torch.from_numpy(np.asarray(picture, dtype=np.float32).copy()) / 255
    array = array[..., None] if array.dim() == 2 else array
    planes = array.permute(2, 0, 1)[None]  # (1, C(+1), H, W)
    colour, alpha = (planes[:, :-1], planes[:, -1:]) if has_alpha else (planes, None)
    if model_channels == 1 and colour.shape[1] == 3:
        colour = colour.mean(1, keepdim=True)

    def run(x: Tensor) -> Tensor:
        out = model.upscale(_to_model(x, model_channels, input_range(g)), tile=tile, overlap=overlap, seed=seed,
                            progress=progress)
        return _from_model(out, 1 if x.shape[1] == 1 else model_channels, g.output.value_range).cpu()

    result = run(colour)
    if grey and result.shape[1] == 3:
        result = result.mean(1, keepdim=True)
    if alpha is not None:
        result = torch.cat([result, run(alpha)], 1)
    pixels = (result[0].permute(1, 2, 0) * 255).round().clamp(0, 255).to(torch.uint8).numpy()
    mode = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}[pixels.shape[2]]
    return Image.fromarray(pixels[..., 0] if mode == "L" else pixels, mode=mode)


def upscale_file(model, source: str | Path, target: str | Path, **options) -> Path:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(source) as picture:
            picture.load()
            out = upscale_picture(model, picture, **options)
    except FileNotFoundError:
        raise ZooError(f"no such file: {source}") from None
    except UnidentifiedImageError:
        raise ZooError(f"{source}: not a picture PIL can read") from None
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.suffix.lower() in (".jpg", ".jpeg") and out.mode in ("RGBA", "LA"):
        raise ZooError(f"{target}: JPEG has no alpha channel; write a .png to keep {source}'s transparency")
    out.save(target)
    return target


def pictures_in(folder: str | Path) -> list[Path]:
    """The picture files directly in `folder`, sorted by name; an error if there are none."""
    folder = Path(folder)
    found = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in PICTURE_SUFFIXES)
    if not found:
        raise ZooError(f"{folder}: no pictures ({', '.join(PICTURE_SUFFIXES)}) in this folder")
    return found
